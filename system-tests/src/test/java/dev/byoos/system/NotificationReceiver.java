package dev.byoos.system;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

/**
 * A team's notification endpoint on loopback: answers its first {@code failures} requests 503 and
 * accepts the rest (204), keeping what it accepted. It checks nothing itself: the test verifies
 * the signatures with {@link #signature}, written from the documented contract, not from the
 * service's code.
 */
final class NotificationReceiver implements AutoCloseable {

    record Request(String timestamp, String signature, String body) {
    }

    private final HttpServer server;
    private final AtomicInteger received = new AtomicInteger();
    private final List<Request> accepted = new CopyOnWriteArrayList<>();
    private final int failures;

    private NotificationReceiver(int failures) throws IOException {
        this.failures = failures;
        this.server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/hooks", this::handle);
        server.start();
    }

    static NotificationReceiver start(int failures) throws IOException {
        return new NotificationReceiver(failures);
    }

    String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/hooks";
    }

    List<Request> accepted() {
        return accepted;
    }

    /** Requests received, refused ones included. */
    int received() {
        return received.get();
    }

    /** {@code sha256=} and the hex HMAC-SHA256, keyed by the subscription's secret, of {@code timestamp + "." + body}. */
    static String signature(String secret, String timestamp, String body) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            return "sha256=" + HexFormat.of().formatHex(mac.doFinal((timestamp + "." + body).getBytes(StandardCharsets.UTF_8)));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            if (received.incrementAndGet() <= failures) {
                exchange.sendResponseHeaders(503, -1);
                return;
            }
            accepted.add(new Request(exchange.getRequestHeaders().getFirst("X-Byoos-Timestamp"),
                    exchange.getRequestHeaders().getFirst("X-Byoos-Signature"), body));
            exchange.sendResponseHeaders(204, -1);
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
