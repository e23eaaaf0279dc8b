package dev.byoos.spec.service;

import io.vertx.mutiny.sqlclient.Row;

import dev.byoos.spec.BuildState;
import dev.byoos.spec.repository.BuildEntity;
import dev.byoos.spec.repository.SpecEntity;

/** A build row read with plain SQL, as a detached entity (its spec not set). */
final class BuildRows {

    /** Every column of {@code build} but {@code spec_id}, unqualified, for a select list. */
    static final String COLUMNS = """
            id, team, target_cloud, target_format, build_trigger, attempt, state, artifact_uri, artifact_sha256,
            artifact_size, pack_reference, failure_stage, failure_code, failure_reason, failure_category,
            failure_attempts, boot_test_result, boot_test_detail, boot_test_millis, progress_stage, progress_phase,
            progress_percent, progress_waiting_for, progress_detail, progress_at, reused_from, cancelled_by,
            created_at, updated_at""";

    private BuildRows() {
    }

    /** @param row a row with {@link #COLUMNS} */
    static BuildEntity build(Row row) {
        BuildEntity build = new BuildEntity();
        build.id = row.getUUID("id");
        build.team = row.getString("team");
        build.targetCloud = row.getString("target_cloud");
        build.targetFormat = row.getString("target_format");
        build.trigger = row.getString("build_trigger");
        build.attempt = row.getInteger("attempt");
        build.state = BuildState.valueOf(row.getString("state"));
        build.artifactUri = row.getString("artifact_uri");
        build.artifactSha256 = row.getString("artifact_sha256");
        build.artifactSize = row.getLong("artifact_size");
        build.packReference = row.getString("pack_reference");
        build.failureStage = row.getString("failure_stage");
        build.failureCode = row.getString("failure_code");
        build.failureReason = row.getString("failure_reason");
        build.failureCategory = row.getString("failure_category");
        build.failureAttempts = row.getInteger("failure_attempts");
        build.bootTestResult = row.getString("boot_test_result");
        build.bootTestDetail = row.getString("boot_test_detail");
        build.bootTestMillis = row.getLong("boot_test_millis");
        build.progressStage = row.getString("progress_stage");
        build.progressPhase = row.getString("progress_phase");
        build.progressPercent = row.getShort("progress_percent");
        build.progressWaitingFor = row.getString("progress_waiting_for");
        build.progressDetail = row.getString("progress_detail");
        build.progressAt = row.getOffsetDateTime("progress_at");
        build.reusedFrom = row.getUUID("reused_from");
        build.cancelledBy = row.getString("cancelled_by");
        build.createdAt = row.getOffsetDateTime("created_at");
        build.updatedAt = row.getOffsetDateTime("updated_at");
        return build;
    }

    /**
     * @param row a row with {@link #COLUMNS} and its spec's {@code spec_name}, {@code spec_version} and
     *            {@code spec_digest}
     * @return the build with a detached spec holding those (and the build's team)
     */
    static BuildEntity buildWithSpec(Row row) {
        BuildEntity build = build(row);
        build.spec = new SpecEntity();
        build.spec.team = build.team;
        build.spec.name = row.getString("spec_name");
        build.spec.version = row.getInteger("spec_version");
        build.spec.digest = row.getString("spec_digest");
        return build;
    }
}
