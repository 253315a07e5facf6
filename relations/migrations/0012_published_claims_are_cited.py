"""A published claim has at least one citation, kept by PostgreSQL on every write path.

Constraint triggers, all named ``published_claim_cited`` (``SET CONSTRAINTS
published_claim_cited IMMEDIATE`` fires them early: see relations.models.cited), DEFERRABLE
INITIALLY DEFERRED so that a claim and its citations may be written in any order within a
transaction:

- on a citation's deletion, or its move to another claim: the claim it leaves;
- on a claim's insertion as published, or its publication.

Each check locks the claim's row (FOR NO KEY UPDATE), so that two transactions removing its
last two citations, or one publishing it while another removes its last citation, are checked
one after the other and the second sees the first. A bulk load sets ``relata.bulk_load`` to
``on`` for its transaction (SET LOCAL): the WHEN clauses then queue nothing, and the loader
checks what it loaded set-based before it commits. Existing rows are not checked here.

SQLite has no deferred triggers: the models check the rule there (relations.models.cited).
This migration keeps its own copy of the SQL: it must not change.
"""

from django.db import migrations

CLAIMS = {
    "event": "relations_event",
    "agreement": "relations_agreement",
    "statement": "relations_statement",
    "position": "relations_position",
    "membership": "relations_membership",
}
NOT_BULK = "COALESCE(current_setting('relata.bulk_load', true), '') <> 'on'"

ASSERT_CITED = """
CREATE OR REPLACE FUNCTION relata_assert_cited(
    claim_table regclass, kind text, claim_id bigint, publishing boolean
) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    claim_status text;
    claim_slug text;
    is_cited boolean;
BEGIN
    EXECUTE format('SELECT status, slug FROM %s WHERE id = $1 FOR NO KEY UPDATE', claim_table)
        INTO claim_status, claim_slug USING claim_id;
    IF claim_status IS DISTINCT FROM 'published' THEN
        RETURN;  -- a draft, or deleted in this transaction
    END IF;
    EXECUTE format('SELECT EXISTS (SELECT 1 FROM relations_citation WHERE %I = $1)',
                   kind || '_id')
        INTO is_cited USING claim_id;
    IF is_cited THEN
        RETURN;
    END IF;
    RAISE EXCEPTION USING
        ERRCODE = 'check_violation',
        CONSTRAINT = 'published_claim_cited',
        DETAIL = format('%s %s', kind, claim_slug),
        MESSAGE = CASE WHEN publishing
            THEN format('The %s “%s” cannot be published without a citation: cite it first, '
                        'or keep it as a draft.', kind, claim_slug)
            ELSE format('The published %s “%s” would be left without a citation: withdraw it '
                        'first (back to draft), or add another citation to it.', kind, claim_slug)
        END;
END
$$
"""

CITATION_FUNCTION = """
CREATE OR REPLACE FUNCTION relata_citation_leaves_claim() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
{checks}
    RETURN NULL;
END
$$
"""
CITATION_CHECK = """\
    IF OLD.{kind}_id IS NOT NULL
       AND (TG_OP = 'DELETE' OR NEW.{kind}_id IS DISTINCT FROM OLD.{kind}_id) THEN
        PERFORM relata_assert_cited('{table}', '{kind}', OLD.{kind}_id, false);
    END IF;"""
CITATION_TRIGGER = f"""
CREATE CONSTRAINT TRIGGER published_claim_cited
AFTER DELETE OR UPDATE OF {{columns}} ON relations_citation
DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN ({NOT_BULK})
EXECUTE FUNCTION relata_citation_leaves_claim()
"""

CLAIM_FUNCTION = """
CREATE OR REPLACE FUNCTION relata_claim_published() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND OLD.status = 'published' THEN
        RETURN NULL;  -- published already: checked when it was published
    END IF;
    PERFORM relata_assert_cited(TG_RELID::regclass, TG_ARGV[0], NEW.id, true);
    RETURN NULL;
END
$$
"""
CLAIM_TRIGGER = f"""
CREATE CONSTRAINT TRIGGER published_claim_cited
AFTER INSERT OR UPDATE OF status ON {{table}}
DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
WHEN (NEW.status = 'published' AND {NOT_BULK})
EXECUTE FUNCTION relata_claim_published('{{kind}}')
"""


def install(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    checks = "\n".join(
        CITATION_CHECK.format(kind=kind, table=table) for kind, table in CLAIMS.items()
    )
    schema_editor.execute(ASSERT_CITED, None)
    schema_editor.execute(CITATION_FUNCTION.format(checks=checks), None)
    columns = ", ".join(f"{kind}_id" for kind in CLAIMS)
    schema_editor.execute(CITATION_TRIGGER.format(columns=columns), None)
    schema_editor.execute(CLAIM_FUNCTION, None)
    for kind, table in CLAIMS.items():
        schema_editor.execute(CLAIM_TRIGGER.format(table=table, kind=kind), None)


def uninstall(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in ["relations_citation", *CLAIMS.values()]:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS published_claim_cited ON {table}")
    schema_editor.execute("DROP FUNCTION IF EXISTS relata_claim_published()")
    schema_editor.execute("DROP FUNCTION IF EXISTS relata_citation_leaves_claim()")
    schema_editor.execute(
        "DROP FUNCTION IF EXISTS relata_assert_cited(regclass, text, bigint, boolean)"
    )


class Migration(migrations.Migration):
    dependencies = [
        ("relations", "0011_citations_footnote_required"),
    ]

    operations = [migrations.RunPython(install, uninstall)]
