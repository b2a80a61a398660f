-- 001_core: organisations, submissions, records and their match keys,
-- validation issues, linkage, estimate runs and the audit log.
-- No names and no dates of birth are ever stored here: identity fields become
-- keyed-hash match keys at intake (collection.pseudonymise).

CREATE TABLE organisations (
    org_code    VARCHAR PRIMARY KEY,
    name        VARCHAR NOT NULL,
    list_code   VARCHAR NOT NULL CHECK (list_code IN ('LA', 'NG', 'PF', 'GO', 'GP', 'NCA')),
    detail      JSON
);

CREATE SEQUENCE submission_id_seq START 1;
CREATE TABLE submissions (
    submission_id   BIGINT PRIMARY KEY,
    org_code        VARCHAR NOT NULL,
    quarter         VARCHAR NOT NULL,
    version         INTEGER NOT NULL,
    status          VARCHAR NOT NULL CHECK (status IN ('loaded', 'superseded', 'quarantined')),
    file_name       VARCHAR NOT NULL,
    file_sha256     VARCHAR NOT NULL,
    file_format     VARCHAR,
    file_size       BIGINT,
    archive_path    VARCHAR,
    schema_version  VARCHAR NOT NULL,
    n_rows          INTEGER NOT NULL,
    n_errors        INTEGER NOT NULL,
    n_warnings      INTEGER NOT NULL,
    submitted_by    VARCHAR NOT NULL,
    submitted_at    TIMESTAMPTZ NOT NULL,
    superseded_by   BIGINT
);

-- One row per potential victim in a loaded return (identity fields removed).
CREATE SEQUENCE record_id_seq START 1;
CREATE TABLE records (
    record_id           BIGINT NOT NULL,
    submission_id       BIGINT NOT NULL,
    org_code            VARCHAR NOT NULL,
    list_code           VARCHAR NOT NULL,
    quarter             VARCHAR NOT NULL,
    row_number          INTEGER NOT NULL,
    record_ref          VARCHAR NOT NULL,
    first_encountered   DATE,
    sex                 VARCHAR,
    nationality         VARCHAR,
    age_group           VARCHAR,
    exploitation_types  VARCHAR[],
    force_area          VARCHAR,
    nrm_referred        VARCHAR
);

-- Keyed hashes (HMAC-SHA256) of normalised identity fields, several per record.
CREATE TABLE match_keys (
    record_id   BIGINT NOT NULL,
    key_type    VARCHAR NOT NULL,
    key_hash    VARCHAR NOT NULL
);

-- Issues of every submission: all of a quarantined one's, the warnings of a loaded one.
-- value is redacted for identity columns.
CREATE TABLE validation_issues (
    submission_id   BIGINT NOT NULL,
    row_number      INTEGER,
    column_name     VARCHAR,
    value           VARCHAR,
    rule            VARCHAR,
    severity        VARCHAR NOT NULL,
    message         VARCHAR,
    fix             VARCHAR
);

CREATE SEQUENCE linkage_run_id_seq START 1;
CREATE TABLE linkage_runs (
    linkage_run_id      BIGINT PRIMARY KEY,
    created_at          TIMESTAMPTZ NOT NULL,
    created_by          VARCHAR NOT NULL,
    period              VARCHAR NOT NULL,
    submissions_hash    VARCHAR NOT NULL,
    n_submissions       INTEGER NOT NULL,
    n_records           BIGINT NOT NULL,
    n_persons           BIGINT NOT NULL,
    rules               JSON,
    report              JSON
);

-- Persons and their records, kept for the latest linkage run of each period.
CREATE TABLE persons (
    linkage_run_id  BIGINT NOT NULL,
    person_id       BIGINT NOT NULL,
    n_records       INTEGER NOT NULL,
    n_orgs          INTEGER NOT NULL
);
CREATE TABLE person_records (
    linkage_run_id  BIGINT NOT NULL,
    person_id       BIGINT NOT NULL,
    record_id       BIGINT NOT NULL
);

CREATE SEQUENCE estimate_run_id_seq START 1;
CREATE TABLE estimate_runs (
    run_id          BIGINT PRIMARY KEY,
    created_at      TIMESTAMPTZ NOT NULL,
    created_by      VARCHAR NOT NULL,
    period          VARCHAR,
    stratify_by     VARCHAR,
    methods         VARCHAR[] NOT NULL,
    status          VARCHAR NOT NULL CHECK (status IN ('draft', 'published')),
    published_at    TIMESTAMPTZ,
    published_by    VARCHAR,
    note            VARCHAR,
    data_hash       VARCHAR NOT NULL,
    linkage_run_id  BIGINT,
    settings        JSON,
    seed            BIGINT,
    versions        JSON,
    idata_path      VARCHAR
);

CREATE TABLE estimates (
    run_id          BIGINT NOT NULL,
    stratum         VARCHAR NOT NULL,
    method          VARCHAR NOT NULL,
    observed        BIGINT NOT NULL,
    estimate        DOUBLE,
    lower           DOUBLE,
    upper           DOUBLE,
    level           DOUBLE,
    interval        VARCHAR,
    model           VARCHAR,
    existence       VARCHAR,
    warnings        JSON,
    diagnostics     JSON,
    capture_table   JSON,
    draws_path      VARCHAR,
    seconds         DOUBLE
);

CREATE SEQUENCE audit_id_seq START 1;
CREATE TABLE audit_log (
    id      BIGINT PRIMARY KEY DEFAULT nextval('audit_id_seq'),
    "at"    TIMESTAMPTZ NOT NULL DEFAULT current_timestamp,
    actor   VARCHAR NOT NULL,
    action  VARCHAR NOT NULL,
    object  VARCHAR,
    detail  JSON
);
