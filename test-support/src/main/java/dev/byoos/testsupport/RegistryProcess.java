package dev.byoos.testsupport;

import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import javax.net.ssl.SSLHandshakeException;

/**
 * A CNCF Distribution registry ({@code /usr/bin/docker-registry}) owned by one test, apart from the
 * shared stack's: with htpasswd (Basic) or token (Bearer) authentication, and stoppable and
 * restartable on the same port and storage, so a test can take the registry away from a running
 * service and bring it back.
 * The htpasswd file is written with {@code htpasswd -B} (Debian's apache2-utils): distribution only
 * accepts bcrypt entries.
 */
public final class RegistryProcess implements AutoCloseable {

    private static final Path BINARY = Path.of("/usr/bin/docker-registry");
    private static final Duration STARTUP_TIMEOUT = Duration.ofSeconds(30);
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(10);

    private final Path dir;
    private final String scheme;
    private final int port;
    private final String username;
    private final String password;
    private Process process;

    private RegistryProcess(Path dir, String scheme, int port, String username, String password) {
        this.dir = dir;
        this.scheme = scheme;
        this.port = port;
        this.username = username;
        this.password = password;
    }

    /** Starts a registry on a free loopback port that wants these Basic credentials for every request. */
    public static RegistryProcess startWithBasicAuth(String username, String password) throws IOException, InterruptedException {
        return startWithBasicAuth(username, password, null, null);
    }

    /**
     * As {@link #startWithBasicAuth(String, String)}, serving https with this certificate and key
     * (PEM) instead of plain HTTP; the certificate must name 127.0.0.1.
     */
    public static RegistryProcess startWithBasicAuthOverTls(String username, String password, Path certificate,
            Path key) throws IOException, InterruptedException {
        return startWithBasicAuth(username, password, certificate, key);
    }

    private static RegistryProcess startWithBasicAuth(String username, String password, Path certificate, Path key)
            throws IOException, InterruptedException {
        Path dir = Files.createTempDirectory("byoos-test-registry-");
        Path htpasswd = dir.resolve("htpasswd");
        Process hash = new ProcessBuilder("htpasswd", "-Bbn", username, password)
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        byte[] entry = hash.getInputStream().readAllBytes();
        if (hash.waitFor() != 0) {
            throw new IllegalStateException("htpasswd failed (exit " + hash.exitValue() + "); is apache2-utils installed?");
        }
        Files.write(htpasswd, entry);
        List<String> tls = certificate == null ? List.of()
                : List.of("  tls:", "    certificate: " + certificate, "    key: " + key);
        return start(dir, username, password, List.of(
                "  htpasswd:",
                "    realm: byoos-test",
                "    path: " + htpasswd), tls);
    }

    /**
     * Starts a registry that accepts only bearer tokens from a token service (the distribution token
     * protocol): JWTs from {@code issuer} for {@code service}, signed by a key whose certificate is in
     * {@code rootCertBundle} and named in the token's {@code x5c} header.
     *
     * @param realm where clients fetch tokens; the registry names it in its challenges
     */
    public static RegistryProcess startWithTokenAuth(String realm, String service, String issuer, Path rootCertBundle)
            throws IOException, InterruptedException {
        return start(Files.createTempDirectory("byoos-test-registry-"), null, null, List.of(
                "  token:",
                "    realm: " + realm,
                "    service: " + service,
                "    issuer: " + issuer,
                "    rootcertbundle: " + rootCertBundle), List.of());
    }

    private static RegistryProcess start(Path dir, String username, String password, List<String> auth,
            List<String> tls) throws IOException, InterruptedException {
        int port;
        try (ServerSocket socket = new ServerSocket()) {
            socket.bind(new InetSocketAddress("127.0.0.1", 0));
            port = socket.getLocalPort();
        }
        List<String> config = new ArrayList<>(List.of(
                "version: 0.1",
                "log:",
                "  level: warn",
                "  accesslog:",
                "    disabled: true",
                "storage:",
                "  filesystem:",
                "    rootdirectory: " + dir.resolve("storage"),
                "auth:"));
        config.addAll(auth);
        config.addAll(List.of(
                "http:",
                "  addr: 127.0.0.1:" + port));
        config.addAll(tls);
        config.add("");
        Files.writeString(dir.resolve("config.yml"), String.join("\n", config), StandardCharsets.UTF_8);
        RegistryProcess registry = new RegistryProcess(dir, tls.isEmpty() ? "http" : "https", port, username, password);
        registry.start();
        return registry;
    }

    /** {@code http[s]://127.0.0.1:<port>}, the same across stops and starts. */
    public String url() {
        return scheme + "://127.0.0.1:" + port;
    }

    /** The {@code Authorization} header value for a registry started with Basic credentials. */
    public String basicAuthorization() {
        if (username == null) {
            throw new IllegalStateException("this registry takes bearer tokens, not Basic credentials");
        }
        return "Basic " + Base64.getEncoder().encodeToString((username + ":" + password).getBytes(StandardCharsets.UTF_8));
    }

    /** Starts the registry (again) and returns once {@code /v2/} answers with its challenge (401). */
    public synchronized void start() throws IOException, InterruptedException {
        if (process != null && process.isAlive()) {
            throw new IllegalStateException("the registry is already running");
        }
        Path log = dir.resolve("registry.log");
        process = new ProcessBuilder(BINARY.toString(), "serve", dir.resolve("config.yml").toString())
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                .start();
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        HttpRequest probe = HttpRequest.newBuilder(URI.create(url() + "/v2/")).timeout(Duration.ofSeconds(2)).build();
        long deadline = System.nanoTime() + STARTUP_TIMEOUT.toNanos();
        while (true) {
            if (!process.isAlive()) {
                throw new IllegalStateException("the registry exited with code " + process.exitValue() + "; see " + log);
            }
            try {
                if (http.send(probe, HttpResponse.BodyHandlers.discarding()).statusCode() == 401) {
                    return;
                }
            } catch (SSLHandshakeException answersTls) {
                // A TLS registry whose certificate this probe does not trust: it is up.
                return;
            } catch (ConnectException | HttpTimeoutException notAnsweringYet) {
                // polled again below, until the deadline
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the registry did not answer " + url() + "/v2/ within "
                        + STARTUP_TIMEOUT.toSeconds() + " s; see " + log);
            }
            Thread.sleep(50);
        }
    }

    /** Stops the registry; its port refuses connections until {@link #start()}. */
    public synchronized void stop() throws InterruptedException {
        if (process == null) {
            return;
        }
        process.destroy();
        if (!process.waitFor(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
            process.destroyForcibly().waitFor();
        }
        process = null;
    }

    /** Stops the registry and deletes its storage. */
    @Override
    public void close() throws InterruptedException, IOException {
        stop();
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(path);
            }
        }
    }
}
