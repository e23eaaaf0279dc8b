package dev.byoos.spec.service;

import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.function.Function;

import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.SqlConnection;
import io.vertx.mutiny.sqlclient.Tuple;

import dev.byoos.contract.EventTypes;
import dev.byoos.spec.repository.BuildEntity;
import dev.byoos.spec.repository.OutboxEntity;
import dev.byoos.spec.repository.SpecEntity;

/**
 * The intake's statements, on a connection of the reactive pool inside the caller's transaction.
 * Every build starts here, so a submission is four statements besides BEGIN and COMMIT (claim the
 * pack name; read the owner and the spec's related versions; write the version, its builds, their
 * requests and the Idempotency-Key in one statement) with no Hibernate session, flush or dirty check.
 * The entities it returns are detached: plain values for the callers' views and events.
 */
final class IntakeRows {

    /** ON CONFLICT waits for a competing claim to commit, so the next statement sees the winner. */
    private static final String CLAIM_PACK_NAME = """
            insert into pack_name (name, team, claimed_at) values ($1, $2, now()) on conflict (name) do nothing""";

    /**
     * The pack name's owner and, in the same answer, everything a submission needs to know about the
     * spec's history: the version with this canonical digest (a resubmission), the version that has
     * this pack version, and the latest version. One row without a version when the spec is new.
     */
    private static final String OWNER_AND_RELATED_VERSIONS = """
            select o.team as owner, s.id, s.version, s.digest, s.document, s.pack_version, s.created_at
            from pack_name o
            left join image_spec s on s.team = $2 and s.name = $3 and (s.digest = $4 or s.pack_version = $5
                 or s.version = (select max(version) from image_spec where team = $2 and name = $3))
            where o.name = $1""";

    /**
     * A submission's writes in one statement: the spec version when it is new ($9), the builds it
     * creates, their build requests in the outbox and the Idempotency-Key's outcome when there is one
     * ($21). A data-modifying WITH runs whether or not the main statement reads it, and the foreign
     * keys are checked at the end of the statement, when the version is there.
     */
    private static final String WRITE = """
            with version as (
                insert into image_spec (id, team, name, version, digest, document, pack_version, created_at)
                select $1::uuid, $2::varchar, $3::varchar, $4::integer, $5::char(64), $6::text, $7::varchar,
                       $8::timestamptz
                where $9::boolean),
            builds as (
                insert into build (id, spec_id, team, target_cloud, target_format, build_trigger, attempt, state,
                                   artifact_uri, artifact_sha256, artifact_size, pack_reference, reused_from,
                                   created_at, updated_at)
                select b.id, $1::uuid, $2::varchar, b.cloud, b.format, b.build_trigger, b.attempt, b.state,
                       b.artifact_uri, b.artifact_sha256, b.artifact_size, b.pack_reference, b.reused_from,
                       $22::timestamptz, $22::timestamptz
                from unnest($10::uuid[], $11::varchar[], $12::varchar[], $13::varchar[], $14::integer[],
                            $15::varchar[], $16::text[], $17::varchar[], $18::bigint[], $19::text[], $20::uuid[])
                     as b(id, cloud, format, build_trigger, attempt, state, artifact_uri, artifact_sha256,
                          artifact_size, pack_reference, reused_from)),
            idempotency as (
                insert into idempotency_key (team, key, spec_id, spec_digest, new_version, created_at)
                select $2::varchar, $21::varchar, $1::uuid, $5::char(64), $9::boolean, $22::timestamptz
                where $21::varchar is not null)
            insert into outbox (event_id, topic, event_type, message_key, payload, created_at, trace_parent)
            select o.event_id, o.topic, o.event_type, o.message_key, o.payload, $22::timestamptz, o.trace_parent
            from unnest($23::varchar[], $24::varchar[], $25::varchar[], $26::varchar[], $27::text[], $28::varchar[])
                 as o(event_id, topic, event_type, message_key, payload, trace_parent)""";

    /** A version's builds by attempt, each with whether its pack version was revoked (never reused). */
    private static final String BUILDS_WITH_REVOCATION = "select " + BuildRows.COLUMNS + """
            , exists (select 1 from build_event e where e.build_id = b.id and e.event_type = $2) as revoked
            from build b where spec_id = $1 order by attempt""";

    private IntakeRows() {
    }

    /** The pack name's owner (claimed for {@code team} if nobody had it) and the spec's related versions. */
    record History(String packNameOwner, List<SpecEntity> relatedVersions) {
    }

    /** A spec version's builds by attempt, and the ids of those whose pack version was revoked. */
    record Builds(List<BuildEntity> byAttempt, Set<UUID> revoked) {
    }

    /** The Idempotency-Key's recorded outcome. */
    record RecordedKey(String key, UUID specId, String specDigest, boolean newVersion) {
    }

    static Uni<History> claimAndReadHistory(SqlConnection connection, String team, String name, String packName,
            String digest, String packVersion) {
        return connection.preparedQuery(CLAIM_PACK_NAME).execute(Tuple.of(packName, team))
                .chain(() -> connection.preparedQuery(OWNER_AND_RELATED_VERSIONS)
                        .execute(Tuple.of(packName, team, name, digest, packVersion)))
                .map(rows -> {
                    String owner = null;
                    List<SpecEntity> related = new ArrayList<>();
                    for (Row row : rows) {
                        owner = row.getString("owner");
                        if (row.getUUID("id") != null) {
                            related.add(spec(row, team, name));
                        }
                    }
                    if (owner == null) {
                        throw new IllegalStateException("pack name " + packName + " has no owner right after its claim");
                    }
                    return new History(owner, related);
                });
    }

    /**
     * Writes a submission.
     *
     * @param spec           the version the builds belong to
     * @param newVersion     whether {@code spec} is new and inserted here
     * @param created        the builds to insert
     * @param outbox         their build requests
     * @param idempotencyKey null, or the key under which this outcome is recorded
     */
    static Uni<Void> write(SqlConnection connection, SpecEntity spec, boolean newVersion, List<BuildEntity> created,
            List<OutboxEntity> outbox, String idempotencyKey, OffsetDateTime now) {
        int builds = created.size();
        UUID[] ids = new UUID[builds];
        String[] clouds = new String[builds];
        String[] formats = new String[builds];
        String[] triggers = new String[builds];
        Integer[] attempts = new Integer[builds];
        String[] states = new String[builds];
        String[] artifactUris = new String[builds];
        String[] artifactSha256s = new String[builds];
        Long[] artifactSizes = new Long[builds];
        String[] packReferences = new String[builds];
        UUID[] reusedFrom = new UUID[builds];
        for (int i = 0; i < builds; i++) {
            BuildEntity build = created.get(i);
            ids[i] = build.id;
            clouds[i] = build.targetCloud;
            formats[i] = build.targetFormat;
            triggers[i] = build.trigger;
            attempts[i] = build.attempt;
            states[i] = build.state.name();
            artifactUris[i] = build.artifactUri;
            artifactSha256s[i] = build.artifactSha256;
            artifactSizes[i] = build.artifactSize;
            packReferences[i] = build.packReference;
            reusedFrom[i] = build.reusedFrom;
        }
        return connection.preparedQuery(WRITE).execute(Tuple.from(Arrays.asList(spec.id, spec.team, spec.name,
                spec.version, spec.digest, spec.document, spec.packVersion, spec.createdAt, newVersion,
                ids, clouds, formats, triggers, attempts, states, artifactUris, artifactSha256s, artifactSizes,
                packReferences, reusedFrom, idempotencyKey, now,
                column(outbox, record -> record.eventId), column(outbox, record -> record.topic),
                column(outbox, record -> record.eventType), column(outbox, record -> record.messageKey),
                column(outbox, record -> record.payload), column(outbox, record -> record.traceParent))))
                .replaceWithVoid();
    }

    static Uni<Builds> builds(SqlConnection connection, SpecEntity spec) {
        return connection.preparedQuery(BUILDS_WITH_REVOCATION).execute(Tuple.of(spec.id, EventTypes.PACK_REVOKED))
                .map(rows -> {
                    List<BuildEntity> builds = new ArrayList<>();
                    Set<UUID> revoked = new HashSet<>();
                    for (Row row : rows) {
                        BuildEntity build = BuildRows.build(row);
                        build.spec = spec;
                        builds.add(build);
                        if (row.getBoolean("revoked")) {
                            revoked.add(build.id);
                        }
                    }
                    return new Builds(builds, revoked);
                });
    }

    /** @return the key's recorded outcome, or null when the team never used it */
    static Uni<RecordedKey> recordedKey(SqlConnection connection, String team, String key) {
        return connection.preparedQuery("""
                select spec_id, spec_digest, new_version from idempotency_key where team = $1 and key = $2""")
                .execute(Tuple.of(team, key))
                .map(rows -> rows.size() == 0 ? null : recordedKey(key, rows.iterator().next()));
    }

    static Uni<SpecEntity> spec(SqlConnection connection, UUID id) {
        return connection.preparedQuery("""
                select id, team, name, version, digest, document, pack_version, created_at from image_spec
                where id = $1""")
                .execute(Tuple.of(id))
                .map(rows -> {
                    Row row = rows.iterator().next();
                    return spec(row, row.getString("team"), row.getString("name"));
                });
    }

    private static RecordedKey recordedKey(String key, Row row) {
        return new RecordedKey(key, row.getUUID("spec_id"), row.getString("spec_digest"),
                row.getBoolean("new_version"));
    }

    private static SpecEntity spec(Row row, String team, String name) {
        SpecEntity spec = new SpecEntity();
        spec.id = row.getUUID("id");
        spec.team = team;
        spec.name = name;
        spec.version = row.getInteger("version");
        spec.digest = row.getString("digest");
        spec.document = row.getString("document");
        spec.packVersion = row.getString("pack_version");
        spec.createdAt = row.getOffsetDateTime("created_at");
        return spec;
    }

    private static String[] column(List<OutboxEntity> records, Function<OutboxEntity, String> field) {
        return records.stream().map(field).toArray(String[]::new);
    }
}
