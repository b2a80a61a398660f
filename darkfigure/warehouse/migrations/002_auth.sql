-- 002_auth: dashboard accounts and sign-in sessions (owned by darkfigure.auth).
-- Passwords are stored only as argon2id hashes; session tokens only as SHA-256
-- digests, so a copy of the warehouse does not let anyone sign in.

CREATE TABLE IF NOT EXISTS users (
    username        VARCHAR PRIMARY KEY,
    display_name    VARCHAR,
    role            VARCHAR NOT NULL
                    CHECK (role IN ('force', 'analyst', 'policymaker', 'admin')),
    -- The organisation a 'force' user submits for and may read (organisations.code).
    org_code        VARCHAR,
    password_hash   VARCHAR NOT NULL,
    failed_attempts INTEGER NOT NULL DEFAULT 0,
    locked_until    TIMESTAMP,
    active          BOOLEAN NOT NULL DEFAULT TRUE,
    created_at      TIMESTAMP NOT NULL DEFAULT current_timestamp,
    last_sign_in    TIMESTAMP,
    CHECK (role <> 'force' OR org_code IS NOT NULL)
);

CREATE TABLE IF NOT EXISTS sessions (
    token_sha256 VARCHAR PRIMARY KEY,
    username     VARCHAR NOT NULL,
    created_at   TIMESTAMP NOT NULL,
    last_seen    TIMESTAMP NOT NULL,
    ended_at     TIMESTAMP
);
