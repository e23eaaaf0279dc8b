package dev.byoos.worker.builder;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;

import dev.byoos.worker.builder.core.BuildLog;
import dev.byoos.worker.builder.process.BuildCancellation;
import dev.byoos.worker.builder.process.CommandRunner;

/**
 * A real https server on 127.0.0.1 with a self-signed certificate made at start by the JDK's
 * keytool (valid for 127.0.0.1 and localhost): {@link #caCertificate()} is the PEM a client trusts
 * it by. It serves files by path, answers 404 for the rest, and counts the requests for each path.
 */
public final class HttpsTestServer implements AutoCloseable {

    private static final String STORE_PASSWORD = "test-only";

    private final Path caCertificate;
    private final HttpsServer server;
    private final ExecutorService handlers = Executors.newCachedThreadPool();
    private final Map<String, Response> responses = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> requests = new ConcurrentHashMap<>();

    /** What the server does for a path. */
    @FunctionalInterface
    public interface Response {
        void send(HttpExchange exchange) throws IOException;
    }

    public HttpsTestServer(Path dir) throws IOException, GeneralSecurityException {
        Path keyStore = dir.resolve("server.p12");
        caCertificate = dir.resolve("server-ca.pem");
        keytool("-genkeypair", "-alias", "server", "-keyalg", "RSA", "-keysize", "2048", "-dname", "CN=localhost",
                "-validity", "2", "-ext", "san=ip:127.0.0.1,dns:localhost", "-storetype", "PKCS12", "-keystore",
                keyStore.toString(), "-storepass", STORE_PASSWORD, "-keypass", STORE_PASSWORD);
        keytool("-exportcert", "-rfc", "-alias", "server", "-keystore", keyStore.toString(), "-storepass",
                STORE_PASSWORD, "-file", caCertificate.toString());

        server = HttpsServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.setHttpsConfigurator(new HttpsConfigurator(serverTls(keyStore, STORE_PASSWORD)));
        server.setExecutor(handlers);
        server.createContext("/", exchange -> {
            String path = exchange.getRequestURI().getPath();
            requests.computeIfAbsent(path, key -> new AtomicInteger()).incrementAndGet();
            try (exchange) {
                responses.getOrDefault(path, HttpsTestServer::notFound).send(exchange);
            }
        });
        server.start();
    }

    /** A server's TLS context from its key and certificate in a PKCS12 file. */
    static SSLContext serverTls(Path pkcs12, String password) throws IOException, GeneralSecurityException {
        KeyStore keys = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(pkcs12)) {
            keys.load(in, password.toCharArray());
        }
        KeyManagerFactory keyManagers = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        keyManagers.init(keys, password.toCharArray());
        SSLContext tls = SSLContext.getInstance("TLS");
        tls.init(keyManagers.getKeyManagers(), null, null);
        return tls;
    }

    /** The PEM of the server's certificate: a client that trusts it reaches the server. */
    public Path caCertificate() {
        return caCertificate;
    }

    /**
     * The server's certificate as a trust store, as the worker's TLS configuration
     * {@code byoos-downloads} holds it once Quarkus has read {@link #caCertificate()}.
     */
    public KeyStore trustStore() throws IOException, GeneralSecurityException {
        KeyStore trusted = KeyStore.getInstance(KeyStore.getDefaultType());
        trusted.load(null, null);
        try (InputStream in = Files.newInputStream(caCertificate)) {
            trusted.setCertificateEntry("server", CertificateFactory.getInstance("X.509").generateCertificate(in));
        }
        return trusted;
    }

    /** https://127.0.0.1:port{path} */
    public String url(String path) {
        return "https://127.0.0.1:" + server.getAddress().getPort() + path;
    }

    /** Serves {@code file}'s bytes at {@code path}. */
    public void serve(String path, Path file) throws IOException {
        byte[] content = Files.readAllBytes(file);
        respond(path, exchange -> {
            exchange.sendResponseHeaders(200, content.length);
            exchange.getResponseBody().write(content);
        });
    }

    public void respond(String path, Response response) {
        responses.put(path, response);
    }

    /** How many requests for {@code path} the server has had. */
    public int requests(String path) {
        AtomicInteger count = requests.get(path);
        return count == null ? 0 : count.get();
    }

    private static void notFound(HttpExchange exchange) throws IOException {
        exchange.sendResponseHeaders(404, -1);
    }

    /** Sends the headers of {@code content} and half of it, then closes the connection. */
    public static Response droppingHalfWay(byte[] content) {
        return exchange -> {
            exchange.sendResponseHeaders(200, content.length);
            OutputStream body = exchange.getResponseBody();
            body.write(content, 0, content.length / 2);
            body.flush();
            // A handler that fails makes the server close the connection, short of the declared length.
            throw new IOException("dropping the connection half way, on purpose");
        };
    }

    /** Sends the headers of {@code content} and half of it, then nothing more for {@code silence}. */
    public static Response stallingHalfWay(byte[] content, Duration silence) {
        return exchange -> {
            exchange.sendResponseHeaders(200, content.length);
            OutputStream body = exchange.getResponseBody();
            body.write(content, 0, content.length / 2);
            body.flush();
            try {
                Thread.sleep(silence.toMillis());
            } catch (InterruptedException e) {
                // The server is stopping.
                Thread.currentThread().interrupt();
            }
            throw new IOException("gave up stalling");
        };
    }

    private static void keytool(String... arguments) {
        String[] command = new String[arguments.length + 1];
        command[0] = Path.of(System.getProperty("java.home"), "bin", "keytool").toString();
        System.arraycopy(arguments, 0, command, 1, arguments.length);
        new CommandRunner(new BuildLog(), new BuildCancellation()).run(Duration.ofMinutes(1),
                Path.of(".").toAbsolutePath(), null, command);
    }

    @Override
    public void close() {
        server.stop(0);
        handlers.shutdownNow();
    }
}
