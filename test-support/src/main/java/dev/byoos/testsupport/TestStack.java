package dev.byoos.testsupport;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * One Kafka/PostgreSQL/S3/registry stack per test JVM, started on first use and shared by every
 * test class. Where it comes from, first match wins:
 * <ol>
 *   <li>{@value #ENDPOINTS_ENV} (or system property {@value #ENDPOINTS_PROPERTY}) names the
 *       endpoints.properties of a stack that is already running: reuse it (fast repeated runs:
 *       {@code java -jar deploy/devstack/target/byoos-devstack.jar servers --data-dir DIR});</li>
 *   <li>{@value #STACK_ENV}{@code =containers} and a Docker engine answers: Testcontainers;</li>
 *   <li>otherwise the devstack jar as a child JVM, stopped when this JVM exits.</li>
 * </ol>
 * The devstack is the default even where a Docker engine runs: it needs only Java, and its Kafka
 * has the SASL users and ACLs the services and tests expect. The container stack's Kafka has none
 * yet, so tests that log in to Kafka refuse it with a clear message.
 */
public final class TestStack {

    public static final String ENDPOINTS_ENV = "BYOOS_DEVSTACK_ENDPOINTS";
    public static final String ENDPOINTS_PROPERTY = "byoos.devstack.endpoints";
    /** {@code containers} asks for the Testcontainers stack (needs a Docker engine). */
    public static final String STACK_ENV = "BYOOS_TEST_STACK";

    private static Endpoints endpoints;
    /** A failed start is remembered: later test classes fail fast instead of waiting again. */
    private static RuntimeException startFailure;

    private TestStack() {
    }

    /** The stack's endpoints, starting it on first use. Tests in one JVM are expected to start sequentially. */
    public static synchronized Endpoints endpoints() {
        if (endpoints != null) {
            return endpoints;
        }
        if (startFailure != null) {
            throw new IllegalStateException("the test stack failed to start earlier in this JVM", startFailure);
        }
        try {
            endpoints = resolve();
            return endpoints;
        } catch (RuntimeException e) {
            startFailure = e;
            throw e;
        }
    }

    private static Endpoints resolve() {
        Path file = configuredEndpointsFile().orElseGet(
                () -> "containers".equals(System.getenv(STACK_ENV)) && ContainerStack.dockerAvailable()
                        ? ContainerStack.start()
                        : DevStackChild.start());
        Endpoints running = load(file);
        // Quarkus loads test classes in a class loader per application, each with its own copy of
        // this class's statics; a JVM-wide system property lets those copies reuse this stack.
        System.setProperty(ENDPOINTS_PROPERTY, file.toString());
        return running;
    }

    /**
     * The servers with an outage switch; each is named as the devstack names its switch file
     * ({@code DevStack.OUTAGE_FILE_SUFFIX}; no devstack classes here).
     */
    public enum Server {
        KAFKA("kafka"), POSTGRES("postgres"), S3("s3"), REGISTRY("registry");

        private final String switchName;

        Server(String switchName) {
            this.switchName = switchName;
        }

        String outageFile() {
            return switchName + "-outage";
        }

        /** Where the server listens: its connections are refused during an outage. */
        InetSocketAddress address(Endpoints endpoints) {
            return switch (this) {
                case KAFKA -> {
                    URI broker = URI.create("kafka://" + endpoints.kafkaBootstrapServers().split(",")[0]);
                    yield new InetSocketAddress(broker.getHost(), broker.getPort());
                }
                case POSTGRES -> new InetSocketAddress(endpoints.postgresHost(), endpoints.postgresPort());
                case S3 -> socketOf(URI.create(endpoints.s3Endpoint()));
                case REGISTRY -> socketOf(URI.create(endpoints.registryUrl()));
            };
        }

        private static InetSocketAddress socketOf(URI url) {
            return new InetSocketAddress(url.getHost(), url.getPort());
        }
    }

    /** Starting a broker or a postmaster again takes longer than S3's proxy on a loaded machine. */
    private static final Duration OUTAGE_SWITCH_TIMEOUT = Duration.ofSeconds(90);

    /** {@link #outage(Server)} of S3. */
    public static AutoCloseable s3Outage() {
        return outage(Server.S3);
    }

    /**
     * Takes one of the stack's servers down until the returned outage is closed: connections are
     * refused, and every record, row, object and image is still there when it comes back on the
     * same port. Both directions return only once the server is seen down, or up again. Needs a
     * devstack (child or already running), which watches its data directory for the switch; a
     * Testcontainers stack has none.
     */
    public static synchronized AutoCloseable outage(Server server) {
        Endpoints running = endpoints();
        if (running.devstackPid() == ProcessHandle.current().pid()) {
            throw new IllegalStateException("the test stack runs in containers, which have no outage switches; "
                    + "run this test against a devstack (" + ENDPOINTS_ENV + ", or without a Docker engine)");
        }
        Path outageFile = Path.of(System.getProperty(ENDPOINTS_PROPERTY)).toAbsolutePath()
                .resolveSibling(server.outageFile());
        InetSocketAddress address = server.address(running);
        try {
            Files.writeString(outageFile, server + " is down until this file is deleted\n");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        awaitListening(server, address, false);
        return () -> {
            Files.deleteIfExists(outageFile);
            awaitListening(server, address, true);
        };
    }

    /**
     * The root directory of the registry's filesystem storage, for a test that leaves files in it as
     * a registry stopped mid-write would. Needs a devstack: its data directory holds the endpoints
     * file, and the registry's storage is {@code registry/storage} beside it (the devstack's
     * {@code DataDir} and {@code RegistryServer}); a Testcontainers registry keeps its files inside
     * its container.
     */
    public static Path registryStorage() {
        Endpoints running = endpoints();
        if (running.devstackPid() == ProcessHandle.current().pid()) {
            throw new IllegalStateException("the test stack runs in containers, whose registry keeps its files inside "
                    + "its container; run this test against a devstack (" + ENDPOINTS_ENV + ", or without a Docker engine)");
        }
        Path storage = Path.of(System.getProperty(ENDPOINTS_PROPERTY)).toAbsolutePath().resolveSibling("registry")
                .resolve("storage");
        if (!Files.isDirectory(storage)) {
            throw new IllegalStateException("the devstack's registry storage is not at " + storage);
        }
        return storage;
    }

    private static void awaitListening(Server server, InetSocketAddress address, boolean listening) {
        await(server + " at " + address + " going " + (listening ? "up" : "down")).atMost(OUTAGE_SWITCH_TIMEOUT)
                .pollInterval(Duration.ofMillis(50)).until(() -> accepts(address) == listening);
    }

    private static boolean accepts(InetSocketAddress address) {
        try (Socket socket = new Socket()) {
            socket.connect(address, 1000);
            return true;
        } catch (IOException refused) {
            return false;
        }
    }

    private static Optional<Path> configuredEndpointsFile() {
        String value = System.getProperty(ENDPOINTS_PROPERTY);
        if (value == null || value.isBlank()) {
            value = System.getenv(ENDPOINTS_ENV);
        }
        return value == null || value.isBlank() ? Optional.empty() : Optional.of(Path.of(value));
    }

    /** Reads the endpoints of a running stack, refusing a file left behind by a stopped one. */
    private static Endpoints load(Path file) {
        if (!Files.isRegularFile(file)) {
            throw new IllegalStateException(file + " does not exist: is the dev stack running? (it is named by "
                    + ENDPOINTS_ENV + " or " + ENDPOINTS_PROPERTY + ")");
        }
        Endpoints loaded = Endpoints.load(file);
        boolean alive = ProcessHandle.of(loaded.devstackPid()).map(ProcessHandle::isAlive).orElse(false);
        if (!alive) {
            throw new IllegalStateException(file + " is stale: the dev stack (pid " + loaded.devstackPid()
                    + ") is not running");
        }
        return loaded;
    }
}
