package dev.byoos.devstack;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** PostgreSQL from zonky's embedded binaries, with a data directory that survives restarts. */
final class PostgresServer implements AutoCloseable, Suspendable {

    static final String USERNAME = "postgres";
    /** initdb sets up trust authentication on loopback: any password is accepted. */
    static final String PASSWORD = "postgres";
    /** One database per service. */
    static final List<String> DATABASES = List.of("spec_service", "build_worker", "artifact_service", "pack_publisher");

    private static final Logger LOG = LoggerFactory.getLogger(PostgresServer.class);
    private static final Duration STARTUP_TIMEOUT = Duration.ofSeconds(60);
    private static final Duration STALE_SERVER_STOP_TIMEOUT = Duration.ofSeconds(30);

    private final EmbeddedPostgres.Builder builder;
    private final int port;
    /** Null while suspended. */
    private EmbeddedPostgres postgres;

    private PostgresServer(EmbeddedPostgres.Builder builder, EmbeddedPostgres postgres) {
        this.builder = builder;
        this.port = postgres.getPort();
        this.postgres = postgres;
    }

    /** Stops the postmaster (fast shutdown: open sessions are cut, as in an outage); the data directory stays. */
    @Override
    public synchronized void suspend() throws IOException {
        if (postgres != null) {
            postgres.close();
            postgres = null;
        }
    }

    /** The postmaster again, on the same data directory and port. */
    @Override
    public synchronized void resume() throws IOException {
        if (postgres == null) {
            postgres = builder.start();
        }
    }

    static PostgresServer start(Path dir, Path logsDir) throws Exception {
        Path pgdata = pgdata(dir);
        stopStale(dir);
        Files.createDirectories(pgdata);
        int port = Ports.stable(dir, 1)[0];
        Path logFile = logsDir.resolve("postgres.log");
        EmbeddedPostgres.Builder builder = EmbeddedPostgres.builder()
                .setDataDirectory(pgdata)
                .setCleanDataDirectory(false)
                .setPort(port)
                .setServerConfig("listen_addresses", Ports.LOOPBACK)
                .setPGStartupWait(STARTUP_TIMEOUT)
                // DevStack stops the servers in order from its own shutdown hook.
                .setRegisterShutdownHook(false)
                .setOutputRedirector(ProcessBuilder.Redirect.appendTo(logFile.toFile()))
                .setErrorRedirector(ProcessBuilder.Redirect.appendTo(logFile.toFile()));
        EmbeddedPostgres postgres;
        try {
            postgres = builder.start();
        } catch (IOException | RuntimeException | Error e) {
            // A postmaster that started but never answered would otherwise outlive us.
            try {
                stopStale(dir);
            } catch (RuntimeException stopFailure) {
                e.addSuppressed(stopFailure);
            }
            throw e;
        }
        PostgresServer server = new PostgresServer(builder, postgres);
        try {
            server.createDatabases();
        } catch (SQLException | RuntimeException e) {
            try {
                server.close();
            } catch (IOException closeFailure) {
                e.addSuppressed(closeFailure);
            }
            throw e;
        }
        return server;
    }

    /**
     * Stops a postmaster left running on this data directory. It outlives a {@code kill -9} of
     * the JVM that started it and would keep the data directory (and its port) busy.
     */
    static void stopStale(Path dir) {
        Processes.readPid(pgdata(dir).resolve("postmaster.pid"))
                .flatMap(pid -> Processes.live(pid, "postgres"))
                .ifPresent(stale -> {
                    LOG.warn("Stopping PostgreSQL left running by an earlier stack (pid {})", stale.pid());
                    Processes.terminate(stale, STALE_SERVER_STOP_TIMEOUT, "stale PostgreSQL server");
                });
    }

    int port() {
        return port;
    }

    private static Path pgdata(Path dir) {
        return dir.resolve("pgdata");
    }

    private void createDatabases() throws SQLException {
        try (Connection connection = postgres.getPostgresDatabase().getConnection();
                PreparedStatement exists = connection.prepareStatement("SELECT 1 FROM pg_database WHERE datname = ?");
                Statement create = connection.createStatement()) {
            for (String database : DATABASES) {
                exists.setString(1, database);
                try (ResultSet result = exists.executeQuery()) {
                    if (!result.next()) {
                        // Names come from the constant list above: safe to inline (DDL takes no parameters).
                        create.execute("CREATE DATABASE " + database);
                    }
                }
            }
        }
    }

    @Override
    public void close() throws IOException {
        suspend();
    }
}
