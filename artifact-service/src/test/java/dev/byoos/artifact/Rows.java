package dev.byoos.artifact;

import static org.awaitility.Awaitility.await;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.UUID;

import javax.sql.DataSource;

/** Reads the service's tables directly, as an independent check of what it recorded. */
public final class Rows {

    private Rows() {
    }

    /** The single number a {@code select count(*) ...} answers. */
    public static long count(DataSource database, String sql) throws SQLException {
        try (Connection connection = database.getConnection();
                ResultSet rows = connection.createStatement().executeQuery(sql)) {
            rows.next();
            return rows.getLong(1);
        }
    }

    /**
     * A row with the build's id, for a test's own transaction: uncommitted, the service's insert of
     * that build waits for it; committed, it is the build's record (one an announcement may carry)
     * and the service's insert is refused.
     */
    public static String placeholderArtifact(String buildId) {
        return "insert into artifact (id, build_id, team, spec_name, spec_version, spec_digest, target_cloud, format, "
                + "target_format, sha256, size_bytes, bucket, object_key, staged_key, builder, created_at) values ('"
                + UUID.randomUUID() + "', '" + buildId + "', 'placeholder', 'placeholder', 1, '" + "0".repeat(64)
                + "', 'qemu', 'qcow2', 'qcow2', '" + "0".repeat(64) + "', 1, 'placeholder', 'placeholder', "
                + "'placeholder', 'placeholder', now())";
    }

    /** Waits until a statement of the service starting with {@code statement} waits for a lock. */
    public static void awaitBlocked(DataSource database, String statement) {
        await(statement + " waiting for a lock").atMost(StagedBuilds.TIMEOUT).pollInterval(Duration.ofMillis(100))
                .until(() -> count(database, "select count(*) from pg_stat_activity where wait_event_type = 'Lock' "
                        + "and datname = 'artifact_service' and query ilike '" + statement + "%'") > 0);
    }
}
