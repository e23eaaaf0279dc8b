package dev.byoos.artifact;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

import dev.byoos.testsupport.Endpoints;
import dev.byoos.testsupport.TestStack;

/**
 * Takes the service's database away from it until closed, as a server going down does: every
 * session of the service (its reactive client's) is ended ("terminating connection due to administrator command",
 * SQLSTATE 57P01) and new connections are refused ("database ... is not currently accepting
 * connections"). test-support has no PostgreSQL outage switch yet, and the stack's server cannot be
 * restarted from a test running as root ({@code pg_ctl} refuses root), so the outage is the
 * database's {@code ALLOW_CONNECTIONS} switched off, set back when closed; the rows stay.
 */
public final class PostgresOutage implements AutoCloseable {

    private static final String DATABASE = "artifact_service";

    private PostgresOutage() {
    }

    /** Refuses new connections to the service's database and ends every open one. */
    public static PostgresOutage begin() throws SQLException {
        try (Connection connection = connect("postgres"); Statement statement = connection.createStatement()) {
            statement.execute("ALTER DATABASE " + DATABASE + " ALLOW_CONNECTIONS false");
            // The service's sessions only: the test JVM's own JDBC pool (the tests' DataSource) keeps its
            // connections, which later tests still use.
            statement.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '" + DATABASE
                    + "' AND pid <> pg_backend_pid() AND application_name NOT LIKE 'PostgreSQL JDBC%'");
        }
        return new PostgresOutage();
    }

    /** A connection to {@code database} as the stack's superuser, independent of the service's pools. */
    public static Connection connect(String database) throws SQLException {
        Endpoints endpoints = TestStack.endpoints();
        return DriverManager.getConnection(endpoints.jdbcUrl(database), endpoints.postgresUsername(),
                endpoints.postgresPassword());
    }

    /** Accepts connections to the service's database again. */
    @Override
    public void close() throws SQLException {
        try (Connection connection = connect("postgres"); Statement statement = connection.createStatement()) {
            statement.execute("ALTER DATABASE " + DATABASE + " ALLOW_CONNECTIONS true");
        }
    }

    /** How many rows {@code sql} counts in the service's database, over a fresh connection. */
    public static long count(String sql) throws SQLException {
        try (Connection connection = connect(DATABASE); ResultSet rows = connection.createStatement().executeQuery(sql)) {
            rows.next();
            return rows.getLong(1);
        }
    }
}
