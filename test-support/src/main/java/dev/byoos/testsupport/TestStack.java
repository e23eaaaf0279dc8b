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

    /** The devstack's name for its S3 outage switch (DevStack.S3_OUTAGE_FILE; no devstack classes here). */
    static final String S3_OUTAGE_FILE = "s3-outage";
    private static final Duration OUTAGE_SWITCH_TIMEOUT = Duration.ofSeconds(30);

    /**
     * Takes the stack's S3 down until the returned outage is closed: connections are refused, and
     * every object is still there when it comes back on the same port. Both directions return only
     * once S3 is seen down, or up again. Needs a devstack (child or already running), which
     * watches its data directory for the switch; a Testcontainers stack has none.
     */
    public static synchronized AutoCloseable s3Outage() {
        Endpoints running = endpoints();
        if (running.devstackPid() == ProcessHandle.current().pid()) {
            throw new IllegalStateException("the test stack runs in containers, which have no S3 outage switch; "
                    + "run this test against a devstack (" + ENDPOINTS_ENV + ", or without a Docker engine)");
        }
        Path outageFile = Path.of(System.getProperty(ENDPOINTS_PROPERTY)).toAbsolutePath().resolveSibling(S3_OUTAGE_FILE);
        URI s3 = URI.create(running.s3Endpoint());
        try {
            Files.writeString(outageFile, "S3 is down until this file is deleted\n");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        awaitListening(s3, false);
        return () -> {
            Files.deleteIfExists(outageFile);
            awaitListening(s3, true);
        };
    }

    private static void awaitListening(URI endpoint, boolean listening) {
        await("S3 at " + endpoint + " going " + (listening ? "up" : "down")).atMost(OUTAGE_SWITCH_TIMEOUT)
                .pollInterval(Duration.ofMillis(50)).until(() -> accepts(endpoint) == listening);
    }

    private static boolean accepts(URI endpoint) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(endpoint.getHost(), endpoint.getPort()), 1000);
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
