package dev.byoos.worker.builder.sandbox;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.sun.net.httpserver.HttpServer;

import dev.byoos.worker.builder.TestBases;
import dev.byoos.worker.builder.core.BuildLog;
import dev.byoos.worker.builder.core.PackageNetwork;
import dev.byoos.worker.builder.process.BuildCancellation;
import dev.byoos.worker.builder.process.CommandRunner;

/**
 * A package installation's sandbox reaches the allowed mirrors through the worker's proxy, and
 * nothing else: not another host, not the mirror's address written another way, not the mirror
 * directly.
 */
class MirrorEgressTest {

    @TempDir
    Path bases;

    private final BuildLog log = new BuildLog();
    private final AtomicInteger requests = new AtomicInteger();
    private HttpServer mirror;

    @BeforeEach
    void startMirror() throws IOException {
        mirror = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        mirror.createContext("/pool/", exchange -> {
            requests.incrementAndGet();
            byte[] body = "the mirror's package\n".getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        mirror.start();
    }

    @AfterEach
    void stopMirror() {
        mirror.stop(0);
    }

    @Test
    void onlyTheAllowedMirrorAnswersAndOnlyThroughTheProxy() {
        int port = mirror.getAddress().getPort();
        Path root = TestBases.catalog(bases).resolve(TestBases.BUSYBOX);
        Sandbox sandbox = new Sandbox(new Sandbox.Settings(SandboxLimits.defaults(), Set.of("localhost")));
        String script = "wget -q -O - http://localhost:" + port + "/pool/hello.deb; echo allowed=$?\n"
                + "wget -q -O - http://127.0.0.1:" + port + "/pool/hello.deb; echo by-address=$?\n"
                + "wget -q -O - http://other.invalid/pool/hello.deb; echo other-host=$?\n"
                + "nc -w 2 127.0.0.1 " + port + " </dev/null && echo REACHED-DIRECTLY\n";

        CommandRunner.Exit exit = sandbox.run(root, List.of("/bin/sh", "-c", script),
                Map.of("PATH", "/bin", "http_proxy", Sandbox.PROXY_URL), Sandbox.Network.PACKAGE_MIRRORS,
                Duration.ofMinutes(1), new CommandRunner(log, new BuildCancellation()), log);

        assertTrue(exit.output().contains("the mirror's package\nallowed=0"), exit.output());
        assertFalse(exit.output().contains("by-address=0"), exit.output());
        assertFalse(exit.output().contains("other-host=0"), exit.output());
        assertFalse(exit.output().contains("REACHED-DIRECTLY"), exit.output());
        assertEquals(1, requests.get(), "the mirror served the allowed request alone");
        assertTrue(log.toString().contains("mirror proxy: refused 127.0.0.1, not an allowed package mirror"), log.toString());
        assertTrue(log.toString().contains("mirror proxy: refused other.invalid"), log.toString());
    }

    @Test
    void behindTheOrganisationsProxyTheAllowedMirrorsAreReachedThroughItExceptThoseReachedDirectly() throws IOException {
        List<String> proxied = new CopyOnWriteArrayList<>();
        HttpServer organisationProxy = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        organisationProxy.createContext("/", exchange -> {
            proxied.add(exchange.getRequestMethod() + " " + exchange.getRequestURI());
            byte[] body = "through the organisation's proxy\n".getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        organisationProxy.start();
        try {
            int port = mirror.getAddress().getPort();
            Path root = TestBases.catalog(bases).resolve(TestBases.BUSYBOX);
            // mirror.invalid resolves nowhere: only the proxy can answer for it.
            PackageNetwork network = new PackageNetwork(Optional.of(URI.create("http://127.0.0.1:"
                    + organisationProxy.getAddress().getPort())), Set.of("localhost"), "");
            Sandbox sandbox = new Sandbox(new Sandbox.Settings(SandboxLimits.defaults(),
                    Set.of("mirror.invalid", "localhost"), network));
            String script = "wget -q -O - http://mirror.invalid/pool/hello.deb; echo proxied=$?\n"
                    + "wget -q -O - http://localhost:" + port + "/pool/hello.deb; echo direct=$?\n";

            CommandRunner.Exit exit = sandbox.run(root, List.of("/bin/sh", "-c", script),
                    Map.of("PATH", "/bin", "http_proxy", Sandbox.PROXY_URL), Sandbox.Network.PACKAGE_MIRRORS,
                    Duration.ofMinutes(1), new CommandRunner(log, new BuildCancellation()), log);

            assertTrue(exit.output().contains("through the organisation's proxy\nproxied=0"), exit.output());
            assertEquals(List.of("GET http://mirror.invalid/pool/hello.deb"), proxied);
            assertTrue(exit.output().contains("the mirror's package\ndirect=0"), exit.output());
            assertEquals(1, requests.get(), "the no-proxy host was reached directly");
        } finally {
            organisationProxy.stop(0);
        }
    }
}
