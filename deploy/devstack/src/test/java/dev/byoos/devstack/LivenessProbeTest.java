package dev.byoos.devstack;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.function.IntUnaryOperator;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import com.sun.net.httpserver.HttpServer;

/**
 * The local stack's stand-in for Kubernetes' liveness probe, against a real HTTP liveness endpoint
 * and a real process: three "not live" answers in a row kill it; a live service, or one whose
 * failures are not in a row, is left alone.
 */
class LivenessProbeTest {

    static final Duration PERIOD = Duration.ofMillis(50);

    final List<AutoCloseable> cleanup = new ArrayList<>();
    final ByteArrayOutputStream output = new ByteArrayOutputStream();
    final LivenessProbe probe = new LivenessProbe(PERIOD, 3, new PrintStream(output, true, StandardCharsets.UTF_8));

    @AfterEach
    void stop() throws Exception {
        probe.close();
        for (AutoCloseable closeable : cleanup) {
            closeable.close();
        }
    }

    /** A liveness endpoint whose nth answer (from 0) is {@code status.applyAsInt(n)}. */
    private URI liveness(IntUnaryOperator status) throws Exception {
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        AtomicInteger asked = new AtomicInteger();
        server.createContext("/q/health/live", exchange -> {
            exchange.sendResponseHeaders(status.applyAsInt(asked.getAndIncrement()), -1);
            exchange.close();
        });
        server.start();
        cleanup.add(() -> server.stop(0));
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/q/health/live");
    }

    private static void eventually(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                fail("not within 10 s: " + what);
            }
            Thread.sleep(20);
        }
    }

    private Process service() throws Exception {
        Process process = new ProcessBuilder("sleep", "600").start();
        cleanup.add(process::destroyForcibly);
        return process;
    }

    @Test
    void aServiceThatSaysItIsNotLiveThreeTimesInARowIsKilled() throws Exception {
        Process process = service();

        probe.watch("pack-publisher", liveness(asked -> 503), () -> process);

        eventually("the process killed", () -> !process.isAlive());
        String said = output.toString(StandardCharsets.UTF_8);
        assertTrue(said.contains("killing pack-publisher") && said.contains("pid " + process.pid())
                && said.contains("HTTP 503 3 times in a row"), said);
    }

    @Test
    void aServiceThatDoesNotAnswerAndOneWatchedByAClosedProbeAreLeftAlone() throws Exception {
        Process starting = service();
        Process afterClose = service();
        AtomicInteger askedAfterClose = new AtomicInteger();
        // Nothing listens on a port the system just gave out and took back: a service still starting.
        java.net.ServerSocket taken = new java.net.ServerSocket(0, 0, java.net.InetAddress.getLoopbackAddress());
        int port = taken.getLocalPort();
        taken.close();
        LivenessProbe closed = new LivenessProbe(PERIOD, 3, new PrintStream(output, true, StandardCharsets.UTF_8));
        closed.watch("build-worker", liveness(asked -> {
            askedAfterClose.incrementAndGet();
            return 503;
        }), () -> afterClose);
        closed.close();

        probe.watch("spec-service", URI.create("http://127.0.0.1:" + port + "/q/health/live"), () -> starting);

        Thread.sleep(PERIOD.toMillis() * 20);
        assertTrue(starting.isAlive(), "no answer is no failure");
        assertTrue(afterClose.isAlive());
        assertTrue(askedAfterClose.get() == 0, "a closed probe asks nothing");
        assertTrue(output.toString(StandardCharsets.UTF_8).isEmpty(), output.toString(StandardCharsets.UTF_8));
    }

    @Test
    void aLiveServiceAndOneWhoseFailuresAreNotInARowAreLeftAlone() throws Exception {
        Process live = service();
        Process flapping = service();
        AtomicInteger flappingAsked = new AtomicInteger();

        probe.watch("spec-service", liveness(asked -> 200), () -> live);
        probe.watch("artifact-service", liveness(asked -> {
            flappingAsked.incrementAndGet();
            return asked % 3 == 2 ? 200 : 503;
        }), () -> flapping);

        eventually("twelve answers from the flapping service", () -> flappingAsked.get() >= 12);
        assertTrue(live.isAlive());
        assertTrue(flapping.isAlive(), "two failures, then an answer of 200, again and again");
        assertTrue(output.toString(StandardCharsets.UTF_8).isEmpty(), output.toString(StandardCharsets.UTF_8));
    }
}
