package dev.byoos.worker.builder.base;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import dev.byoos.contract.BuildRequested;
import dev.byoos.worker.builder.core.BuildException;
import dev.byoos.worker.builder.core.BuildLog;
import dev.byoos.worker.builder.core.PackageNetwork;
import dev.byoos.worker.builder.core.Sha256;
import dev.byoos.worker.builder.process.BuildCancellation;

/**
 * A debootstrap base's key follows its suite's Release file on the mirror: a local mirror (the
 * JDK's HTTP server) whose Release changes, stays, redirects, grows too large or does not answer.
 * No debootstrap runs here.
 */
class DebootstrapReleaseTest {

    private static final String IN_RELEASE = "/debian/dists/bookworm/InRelease";
    private static final String RELEASE = "/debian/dists/bookworm/Release";
    private static final String BOOKWORM_RELEASE = """
            Origin: Debian
            Suite: stable
            Codename: bookworm
            Date: Sat, 08 Nov 2025 09:40:43 UTC
            """;

    @TempDir
    Path cacheDir;
    private HttpServer mirror;
    private final ExecutorService handlers = Executors.newCachedThreadPool();
    private final Map<String, Answer> answers = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> requests = new ConcurrentHashMap<>();
    private final BuildLog log = new BuildLog();
    /** Released when a test ends, so that a handler left waiting stops too. */
    private final CountDownLatch ended = new CountDownLatch(1);

    @FunctionalInterface
    private interface Answer {
        void send(HttpExchange exchange) throws IOException;
    }

    @BeforeEach
    void startMirror() throws IOException {
        mirror = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        mirror.setExecutor(handlers);
        mirror.createContext("/", exchange -> {
            String path = exchange.getRequestURI().getPath();
            requests.computeIfAbsent(path, key -> new AtomicInteger()).incrementAndGet();
            try (exchange) {
                answers.getOrDefault(path, notFound -> notFound.sendResponseHeaders(404, -1)).send(exchange);
            }
        });
        mirror.start();
    }

    @AfterEach
    void stopMirror() {
        ended.countDown();
        mirror.stop(0);
        handlers.shutdownNow();
    }

    @Test
    void theKeyChangesWhenTheSuitesReleaseChangesAndStaysWhileItDoesNot() {
        serve(IN_RELEASE, BOOKWORM_RELEASE);
        DebootstrapBases.Suite first = resolve();
        DebootstrapBases.Suite again = resolve();

        serve(IN_RELEASE, BOOKWORM_RELEASE.replace("09:40:43", "10:12:05"));
        DebootstrapBases.Suite updated = resolve();

        assertEquals(first.key(), again.key());
        assertNotEquals(first.key(), updated.key());
        assertEquals(Sha256.of(BOOKWORM_RELEASE), first.release().sha256());
        assertEquals(mirrorUrl() + IN_RELEASE, first.release().url());
        assertEquals(Optional.of("Sat, 08 Nov 2025 10:12:05 UTC"), updated.release().date());
        assertTrue(log.toString().contains("InRelease sha256 " + Sha256.of(BOOKWORM_RELEASE)
                + ", Date Sat, 08 Nov 2025 09:40:43 UTC"), log.toString());
    }

    @Test
    void aMirrorWithoutInReleaseIsKnownByItsRelease() {
        serve(RELEASE, BOOKWORM_RELEASE);

        DebootstrapBases.Suite suite = resolve();

        assertEquals(mirrorUrl() + RELEASE, suite.release().url());
        assertEquals(Sha256.of(BOOKWORM_RELEASE), suite.release().sha256());
    }

    @Test
    void aSuiteTheMirrorDoesNotHaveIsRefused() {
        assertFailure(BuildException.Kind.BAD_INPUT, "SUITE_NOT_FOUND", this::resolve);
    }

    @Test
    void aMirrorThatCannotBeReachedFailsForARetry() throws IOException {
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closedPort = socket.getLocalPort();
        }
        String unreachable = "http://127.0.0.1:" + closedPort + "/debian";

        assertFailure(BuildException.Kind.INFRASTRUCTURE, "DEBOOTSTRAP_FAILED", () -> resolve(unreachable, settings()));
    }

    @Test
    void aMirrorThatFailsOrStallsFailsForARetry() {
        answers.put(IN_RELEASE, exchange -> exchange.sendResponseHeaders(503, -1));
        assertFailure(BuildException.Kind.INFRASTRUCTURE, "DEBOOTSTRAP_FAILED", this::resolve);

        answers.put(IN_RELEASE, exchange -> {
            exchange.sendResponseHeaders(200, 0);
            exchange.getResponseBody().write("Origin: Debian\n".getBytes(StandardCharsets.UTF_8));
            exchange.getResponseBody().flush();
            awaitEnd();
        });
        SuiteReleases.Settings impatient = new SuiteReleases.Settings(Optional.empty(), Optional.empty(),
                SuiteReleases.DEFAULT_MAX_BYTES, Duration.ofSeconds(5), Duration.ofMillis(300));
        assertFailure(BuildException.Kind.INFRASTRUCTURE, "DEBOOTSTRAP_FAILED", () -> resolve(mirrorUrl() + "/debian",
                impatient));
    }

    @Test
    void aReleaseLargerThanTheCapIsRefusedWhetherItsLengthIsDeclaredOrNot() {
        byte[] large = new byte[(int) SuiteReleases.DEFAULT_MAX_BYTES + 1];
        answers.put(IN_RELEASE, exchange -> {
            exchange.sendResponseHeaders(200, large.length);
            exchange.getResponseBody().write(large);
        });
        assertFailure(BuildException.Kind.BAD_INPUT, "RELEASE_TOO_LARGE", this::resolve);

        answers.put(IN_RELEASE, exchange -> {
            exchange.sendResponseHeaders(200, 0); // chunked: no length said up front
            exchange.getResponseBody().write(large);
        });
        assertFailure(BuildException.Kind.BAD_INPUT, "RELEASE_TOO_LARGE", this::resolve);
    }

    @Test
    void aRedirectIsNotFollowed() {
        serve("/elsewhere/InRelease", BOOKWORM_RELEASE);
        answers.put(IN_RELEASE, exchange -> {
            exchange.getResponseHeaders().add("Location", "/elsewhere/InRelease");
            exchange.sendResponseHeaders(302, -1);
        });

        assertFailure(BuildException.Kind.BAD_INPUT, "RELEASE_REFUSED", this::resolve);
        assertEquals(null, requests.get("/elsewhere/InRelease"));
    }

    @Test
    void aMirrorOnAHostTheWorkerDoesNotAllowIsNotAsked() {
        serve(IN_RELEASE, BOOKWORM_RELEASE);
        DebootstrapBases bases = new DebootstrapBases(cacheDir, List.of("mirror.invalid"), new SuiteReleases(settings()),
                PackageNetwork.direct(), Map.of());

        assertFailure(BuildException.Kind.BAD_INPUT, "HOST_NOT_ALLOWED", () -> bases.resolve(
                new BuildRequested.Debootstrap("bookworm", mirrorUrl() + "/debian"), "debian", log, new BuildCancellation()));
        assertFalse(requests.containsKey(IN_RELEASE));
    }

    @Test
    void theWorkersMirrorForTheDistributionReplacesTheSpecsAndIsWhatTheKeyNames() {
        serve("/organisation/dists/bookworm/InRelease", BOOKWORM_RELEASE);
        DebootstrapBases bases = new DebootstrapBases(cacheDir, List.of("127.0.0.1", "localhost"),
                new SuiteReleases(settings()), PackageNetwork.direct(),
                Map.of("debian", mirrorUrl() + "/organisation"));

        DebootstrapBases.Suite suite = bases.resolve(new BuildRequested.Debootstrap("bookworm", "http://localhost:"
                + mirror.getAddress().getPort() + "/debian"), "debian", log, new BuildCancellation());

        assertEquals(mirrorUrl() + "/organisation", suite.mirror());
        assertEquals(DebootstrapBases.key("bookworm", mirrorUrl() + "/organisation", Sha256.of(BOOKWORM_RELEASE)),
                suite.key());
        assertFalse(requests.containsKey(IN_RELEASE), "the spec's mirror was asked");
        assertTrue(log.toString().contains("replaced by " + mirrorUrl() + "/organisation"
                + " (byoos.worker.packages.mirrors.debian)"), log.toString());
    }

    private DebootstrapBases.Suite resolve() {
        return resolve(mirrorUrl() + "/debian/", settings());
    }

    private DebootstrapBases.Suite resolve(String mirrorUrl, SuiteReleases.Settings settings) {
        return new DebootstrapBases(cacheDir, List.of("127.0.0.1"), new SuiteReleases(settings), PackageNetwork.direct(),
                Map.of())
                .resolve(new BuildRequested.Debootstrap("bookworm", mirrorUrl), "debian", log, new BuildCancellation());
    }

    private static SuiteReleases.Settings settings() {
        return new SuiteReleases.Settings(Optional.empty(), Optional.empty(), SuiteReleases.DEFAULT_MAX_BYTES,
                Duration.ofSeconds(5), Duration.ofSeconds(10));
    }

    private void serve(String path, String content) {
        byte[] bytes = content.getBytes(StandardCharsets.UTF_8);
        answers.put(path, exchange -> {
            exchange.sendResponseHeaders(200, bytes.length);
            exchange.getResponseBody().write(bytes);
        });
    }

    private String mirrorUrl() {
        return "http://127.0.0.1:" + mirror.getAddress().getPort();
    }

    private void awaitEnd() {
        try {
            ended.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void assertFailure(BuildException.Kind kind, String code, Runnable action) {
        BuildException failure = assertThrows(BuildException.class, action::run);
        assertEquals(code, failure.code(), failure.getMessage());
        assertEquals(kind, failure.kind(), failure.getMessage());
    }
}
