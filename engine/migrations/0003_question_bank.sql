-- The question bank: banks shared read-only across organisations, draft → published item
-- versions with metadata and full-text search, which exams use which versions, and media.

CREATE TABLE banks (
    id           uuid PRIMARY KEY,
    org_id       uuid NOT NULL REFERENCES orgs (id),
    name         text NOT NULL,
    description  text NOT NULL DEFAULT '',
    created_by   uuid NOT NULL REFERENCES users (id),
    created_at   timestamptz NOT NULL DEFAULT now(),
    UNIQUE (org_id, name)
);

-- read-only access for another organisation (and its staff) to a bank's published versions
CREATE TABLE bank_shares (
    bank_id    uuid NOT NULL REFERENCES banks (id) ON DELETE CASCADE,
    org_id     uuid NOT NULL REFERENCES orgs (id),
    shared_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (bank_id, org_id)
);
CREATE INDEX bank_shares_org ON bank_shares (org_id);

ALTER TABLE items ADD COLUMN bank_id uuid REFERENCES banks (id);
CREATE INDEX items_bank ON items (bank_id);

ALTER TABLE item_versions
    ADD COLUMN status        text NOT NULL DEFAULT 'published'
                             CHECK (status IN ('draft', 'published')),
    ADD COLUMN authored      jsonb,   -- the item as written (the source of export and diff)
    ADD COLUMN metadata      jsonb NOT NULL DEFAULT '{}',
    ADD COLUMN search_text   text NOT NULL DEFAULT '',
    ADD COLUMN created_by    uuid REFERENCES users (id),
    ADD COLUMN updated_at    timestamptz NOT NULL DEFAULT now(),
    ADD COLUMN published_at  timestamptz;

-- versions from before this migration were pinned by exams as soon as they existed: they are
-- published, and their authored form is the union of student content and key
UPDATE item_versions
SET authored = jsonb_strip_nulls((content - 'id') || answer_key),
    search_text = coalesce(content ->> 'stem', ''),
    published_at = created_at;
ALTER TABLE item_versions ALTER COLUMN authored SET NOT NULL;
ALTER TABLE item_versions ALTER COLUMN status SET DEFAULT 'draft';
-- 'simple': the banks are Indonesian, regional languages and English; no stemmer fits them all
ALTER TABLE item_versions
    ADD COLUMN search tsvector GENERATED ALWAYS AS (to_tsvector('simple', search_text)) STORED;
CREATE INDEX item_versions_search ON item_versions USING gin (search);
CREATE INDEX item_versions_metadata ON item_versions USING gin (metadata jsonb_path_ops);
CREATE INDEX item_versions_kind ON item_versions (kind);
-- at most one draft per item: editing a draft changes it, editing a published item adds one
CREATE UNIQUE INDEX item_versions_one_draft ON item_versions (item_id) WHERE status = 'draft';

-- A published version is immutable: the service answers 409, and the database refuses too,
-- so no code path (or hand-written UPDATE) can change what an exam pinned.
CREATE FUNCTION item_version_frozen() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.status = 'published' THEN
        RAISE EXCEPTION 'item version %/% is published and immutable', OLD.item_id, OLD.version
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END $$;
CREATE TRIGGER item_versions_frozen BEFORE UPDATE OR DELETE ON item_versions
    FOR EACH ROW EXECUTE FUNCTION item_version_frozen();

-- which exams pin which item versions: "usage" in search, and the reason a version froze
CREATE TABLE item_usage (
    item_id  uuid NOT NULL,
    version  integer NOT NULL,
    exam_id  uuid NOT NULL REFERENCES exams (id),
    PRIMARY KEY (item_id, version, exam_id),
    FOREIGN KEY (item_id, version) REFERENCES item_versions (item_id, version)
);
CREATE INDEX item_usage_exam ON item_usage (exam_id);
INSERT INTO item_usage (item_id, version, exam_id)
SELECT DISTINCT (r ->> 'id')::uuid, (r ->> 'version')::integer, v.exam_id
FROM exam_versions v, jsonb_path_query(v.spec, '$.sections[*].items[*]') AS r
ON CONFLICT DO NOTHING;

CREATE TABLE media (
    id            uuid PRIMARY KEY,
    org_id        uuid NOT NULL REFERENCES orgs (id),
    filename      text NOT NULL,
    content_type  text NOT NULL,
    size_bytes    integer NOT NULL CHECK (size_bytes > 0),
    sha256        text NOT NULL,
    storage       text NOT NULL CHECK (storage IN ('local', 's3')),
    created_by    uuid NOT NULL REFERENCES users (id),
    created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX media_org ON media (org_id);
