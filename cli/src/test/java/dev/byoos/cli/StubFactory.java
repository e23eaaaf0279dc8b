package dev.byoos.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

/**
 * A stand-in for the factory's REST APIs on loopback: canned answers per method and path, and a
 * record of every request (with its Authorization header) for the tests to check what the CLI sent.
 */
final class StubFactory implements AutoCloseable {

    static final String TOKEN = "eyJ-the-callers-secret-token";

    record Request(String method, String pathAndQuery, String authorization, byte[] body, String contentType) {
    }

    record Answer(int status, String contentType, byte[] body, Map<String, String> headers) {
        static Answer json(int status, String body) {
            return new Answer(status, "application/json", body.getBytes(StandardCharsets.UTF_8), Map.of());
        }
    }

    /** What a command printed and how it exited. */
    record Run(int exitCode, String out, String err) {
    }

    private final HttpServer server;
    private final Map<String, Function<Request, Answer>> routes = new ConcurrentHashMap<>();
    final List<Request> requests = new CopyOnWriteArrayList<>();

    StubFactory() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", this::handle);
        server.start();
    }

    String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    /** Answers {@code METHOD /path?query} (exactly) with {@code answer}. */
    StubFactory on(String methodAndPath, Function<Request, Answer> answer) {
        routes.put(methodAndPath, answer);
        return this;
    }

    StubFactory on(String methodAndPath, int status, String json) {
        return on(methodAndPath, request -> Answer.json(status, json));
    }

    Run run(String... args) {
        return run(Map.of(Settings.ENV_URL, url(), Settings.ENV_TOKEN, TOKEN), Path.of("/nonexistent-home"), args);
    }

    static Run run(Map<String, String> environment, Path home, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int exitCode = Main.run(args, environment, home, new PrintWriter(out, true), new PrintWriter(err, true));
        return new Run(exitCode, out.toString(), err.toString());
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            String target = exchange.getRequestURI().getRawPath()
                    + (exchange.getRequestURI().getRawQuery() == null ? "" : "?" + exchange.getRequestURI().getRawQuery());
            Request request = new Request(exchange.getRequestMethod(), target,
                    exchange.getRequestHeaders().getFirst("Authorization"), exchange.getRequestBody().readAllBytes(),
                    exchange.getRequestHeaders().getFirst("Content-Type"));
            requests.add(request);
            Function<Request, Answer> route = routes.get(request.method() + " " + target);
            Answer answer = route == null ? Answer.json(404, "{\"title\":\"Not Found\",\"status\":404,\"detail\":\"no route "
                    + target + "\"}") : route.apply(request);
            exchange.getResponseHeaders().set("Content-Type", answer.contentType());
            answer.headers().forEach(exchange.getResponseHeaders()::set);
            exchange.sendResponseHeaders(answer.status(), answer.body().length == 0 ? -1 : answer.body().length);
            if (answer.body().length > 0) {
                exchange.getResponseBody().write(answer.body());
            }
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
