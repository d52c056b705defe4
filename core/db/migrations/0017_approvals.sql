-- 0017_approvals
-- Governance: who approved a lifecycle gate (brief go, data version accepted, model promoted
-- to champion, rollout go), when, with what comment, on what evidence (append-only: a new
-- approval is a new row); and the limitations the team writes for the model card (each save
-- a new version).
CREATE TABLE approvals (
    id BIGINT PRIMARY KEY DEFAULT nextval('id_seq'),
    project_id BIGINT NOT NULL,
    gate VARCHAR NOT NULL,          -- brief | data | model | rollout
    subject_id BIGINT NOT NULL,     -- brief version, dataset id, model version id, simulation id
    subject VARCHAR NOT NULL,       -- what was approved, in words
    evidence VARCHAR NOT NULL,      -- JSON: the facts the approver saw (hashes, ids)
    evidence_hash VARCHAR NOT NULL, -- sha256 of the evidence's canonical JSON
    comment VARCHAR NOT NULL,
    approved_at TIMESTAMP NOT NULL,
    approved_by VARCHAR NOT NULL
);
CREATE TABLE model_card_notes (
    project_id BIGINT NOT NULL,
    version INTEGER NOT NULL,
    limitations VARCHAR NOT NULL,
    created_at TIMESTAMP NOT NULL,
    created_by VARCHAR NOT NULL,
    PRIMARY KEY (project_id, version)
);
