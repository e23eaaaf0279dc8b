package dev.byoos.testsupport;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.ConnectException;
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
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import javax.net.ssl.SSLHandshakeException;

import org.awaitility.core.ConditionTimeoutException;

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

    private static final String CONFIG_TEMPLATE = "config.template.yml";
    private static final String ADDRESS_PLACEHOLDER = "LISTEN_ADDRESS";
    private static final Pattern LISTENING = Pattern.compile("listening on 127\\.0\\.0\\.1:(\\d+)");

    private final Path dir;
    private final String scheme;
    private final String username;
    private final String password;
    /** 0 until the first start: the registry binds a port of its own choosing, which later starts reuse. */
    private int port;
    private Process process;

    private RegistryProcess(Path dir, String scheme, String username, String password) {
        this.dir = dir;
        this.scheme = scheme;
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
        List<String> config = new ArrayList<>(List.of(
                "version: 0.1",
                "log:",
                // info: the registry names the port it bound ("listening on ...").
                "  level: info",
                "  accesslog:",
                "    disabled: true",
                "storage:",
                "  filesystem:",
                "    rootdirectory: " + dir.resolve("storage"),
                "auth:"));
        config.addAll(auth);
        config.addAll(List.of(
                "http:",
                "  addr: " + ADDRESS_PLACEHOLDER));
        config.addAll(tls);
        config.add("");
        Files.writeString(dir.resolve(CONFIG_TEMPLATE), String.join("\n", config), StandardCharsets.UTF_8);
        RegistryProcess registry = new RegistryProcess(dir, tls.isEmpty() ? "http" : "https", username, password);
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
    /** @return whether the registry process runs (it may still be starting) */
    public synchronized boolean running() {
        return process != null && process.isAlive();
    }

    public synchronized void start() throws IOException, InterruptedException {
        if (process != null && process.isAlive()) {
            throw new IllegalStateException("the registry is already running");
        }
        Path log = dir.resolve("registry.log");
        Path config = dir.resolve("config.yml");
        Files.writeString(config, Files.readString(dir.resolve(CONFIG_TEMPLATE))
                .replace(ADDRESS_PLACEHOLDER, "127.0.0.1:" + port), StandardCharsets.UTF_8);
        long logOffset = Files.exists(log) ? Files.size(log) : 0;
        process = new ProcessBuilder(BINARY.toString(), "serve", config.toString())
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                .start();
        if (port == 0) {
            port = awaitBoundPort(process, log, logOffset);
        }
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        HttpRequest probe = HttpRequest.newBuilder(URI.create(url() + "/v2/")).timeout(Duration.ofSeconds(2)).build();
        Process started = process;
        try {
            await("the registry at " + url()).atMost(STARTUP_TIMEOUT).pollInterval(Duration.ofMillis(50)).until(() -> {
                if (!started.isAlive()) {
                    throw new IllegalStateException("the registry exited with code " + started.exitValue() + "; see "
                            + log);
                }
                try {
                    return http.send(probe, HttpResponse.BodyHandlers.discarding()).statusCode() == 401;
                } catch (SSLHandshakeException answersTls) {
                    // A TLS registry whose certificate this probe does not trust: it is up.
                    return true;
                } catch (ConnectException | HttpTimeoutException notAnsweringYet) {
                    return false;
                }
            });
        } catch (ConditionTimeoutException e) {
            throw new IllegalStateException("the registry did not answer " + url() + "/v2/ within "
                    + STARTUP_TIMEOUT.toSeconds() + " s; see " + log, e);
        }
    }

    /** The port the registry reports it bound, read from what it logged since {@code logOffset}. */
    private static int awaitBoundPort(Process started, Path log, long logOffset) {
        int[] bound = new int[1];
        try {
            await("the registry's port").atMost(STARTUP_TIMEOUT).pollInterval(Duration.ofMillis(20)).until(() -> {
                Matcher listening = LISTENING.matcher(tail(log, logOffset));
                if (listening.find()) {
                    bound[0] = Integer.parseInt(listening.group(1));
                    return true;
                }
                if (!started.isAlive()) {
                    throw new IllegalStateException("the registry exited with code " + started.exitValue() + "; see "
                            + log);
                }
                return false;
            });
        } catch (ConditionTimeoutException e) {
            throw new IllegalStateException("the registry did not say which port it bound within "
                    + STARTUP_TIMEOUT.toSeconds() + " s; see " + log, e);
        }
        return bound[0];
    }

    private static String tail(Path log, long offset) throws IOException {
        byte[] all = Files.readAllBytes(log);
        return new String(all, (int) Math.min(offset, all.length), (int) Math.max(0, all.length - offset),
                StandardCharsets.UTF_8);
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
        TestDirectories.deleteRecursively(dir);
    }
}
