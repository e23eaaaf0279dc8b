package dev.byoos.pack.registry;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.regex.Pattern;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

/**
 * A forwarding proxy of the test's own in front of the stack's real registry, for what a registry
 * does only under load or misconfiguration: it answers chosen requests with a status of the test's
 * choosing (429 with Retry-After, 408, 404 with a distribution error body), and it can hold the
 * reads of one manifest until two publishers have both read it, the interleaving two replicas
 * racing for one new tag can meet. It can also act as a registry that lacks a repository and does
 * not create it on push (ECR), and it records which requests it saw.
 */
public final class RegistryProxy implements AutoCloseable {

    private static final List<String> FORWARDED_REQUEST_HEADERS = List.of("Accept", "Content-Type", "Authorization");
    private static final List<String> FORWARDED_RESPONSE_HEADERS = List.of("Content-Type", "Docker-Content-Digest",
            "Location", "WWW-Authenticate", "Docker-Upload-UUID", "Range");

    /** @param pathPattern the paths refused (a regular expression); null: any */
    private record Refusal(String method, String pathPattern, int status, String retryAfter, String body) {

        boolean matches(String requestMethod, String path) {
            return method.equals(requestMethod) && (pathPattern == null || path.matches(pathPattern));
        }
    }

    private final URI registry;
    private final HttpServer server;
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private final Queue<Refusal> refusals = new ConcurrentLinkedQueue<>();
    private volatile String heldPath;
    private volatile CountDownLatch held = new CountDownLatch(0);
    private volatile String missingRepository;
    /** The next PUT of this path has its manifest's stored bytes left empty; null: none. */
    private volatile String crashedWritePath;
    private volatile Path crashedWriteStorage;
    private final Queue<String> requests = new ConcurrentLinkedQueue<>();

    private RegistryProxy(URI registry) throws IOException {
        this.registry = registry;
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.setExecutor(java.util.concurrent.Executors.newCachedThreadPool());
        server.createContext("/", this::handle);
        server.start();
    }

    public static RegistryProxy inFrontOf(String registryUrl) throws IOException {
        return new RegistryProxy(URI.create(registryUrl));
    }

    public String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    /** The next {@code method} request is answered {@code status}, with the header and body given (null: none). */
    public void refuseNext(String method, int status, String retryAfter, String body) {
        refusals.add(new Refusal(method, null, status, retryAfter, body));
    }

    /** The next {@code method} request on a path matching {@code pathPattern} is answered {@code status} with {@code body}. */
    public void refuseNext(String method, String pathPattern, int status, String body) {
        refusals.add(new Refusal(method, pathPattern, status, null, body));
    }

    /**
     * GETs of {@code path} wait until {@code readers} of them arrived, or {@link #release()}: then
     * all go on to the registry.
     */
    public void holdReads(String path, int readers) {
        heldPath = path;
        held = new CountDownLatch(readers);
    }

    /**
     * Every request on {@code repository} itself (its tags, manifests and blobs; not repositories
     * below it) is answered as ECR answers for a repository nobody created: 404 NAME_UNKNOWN.
     */
    public void lackRepository(String repository) {
        missingRepository = repository;
    }

    /**
     * The next PUT of {@code path} reaches a registry that holds the pushed manifest's bytes empty,
     * as distribution's filesystem storage does after stopping while it wrote them (it writes a
     * manifest in place): an empty {@code data} file at the digest's path under {@code storage}, the
     * registry's root directory. The registry then accepts the push without writing the bytes again
     * and answers 500 to every read of the manifest.
     */
    public void leaveNextManifestUnreadable(String path, Path storage) {
        crashedWriteStorage = storage;
        crashedWritePath = path;
    }

    /** {@code METHOD path} of every request so far, in order. */
    public List<String> requests() {
        return List.copyOf(requests);
    }

    public void release() {
        while (held.getCount() > 0) {
            held.countDown();
        }
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            String method = exchange.getRequestMethod();
            String path = exchange.getRequestURI().getPath();
            requests.add(method + " " + path);
            if (missingRepository != null && path.matches("/v2/" + Pattern.quote(missingRepository)
                    + "/(tags|manifests|blobs)/.*")) {
                byte[] body = ("{\"errors\":[{\"code\":\"NAME_UNKNOWN\",\"message\":\"The repository with name '"
                        + missingRepository + "' does not exist\"}]}").getBytes(StandardCharsets.UTF_8);
                exchange.getResponseHeaders().add("Content-Type", "application/json");
                exchange.sendResponseHeaders(404, "HEAD".equals(method) ? -1 : body.length);
                if (!"HEAD".equals(method)) {
                    exchange.getResponseBody().write(body);
                }
                return;
            }
            for (Refusal refusal : refusals) {
                if (refusal.matches(method, path) && refusals.remove(refusal)) {
                    if (refusal.retryAfter() != null) {
                        exchange.getResponseHeaders().add("Retry-After", refusal.retryAfter());
                    }
                    byte[] body = refusal.body() == null ? new byte[0] : refusal.body().getBytes(StandardCharsets.UTF_8);
                    exchange.getResponseHeaders().add("Content-Type", "application/json");
                    exchange.sendResponseHeaders(refusal.status(), body.length == 0 ? -1 : body.length);
                    exchange.getResponseBody().write(body);
                    return;
                }
            }
            if ("GET".equals(method) && path.equals(heldPath)) {
                CountDownLatch latch = held;
                latch.countDown();
                latch.await();
            }
            forward(exchange, method);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        }
    }

    private void forward(HttpExchange exchange, String method) throws IOException, InterruptedException {
        byte[] requestBody;
        try (InputStream in = exchange.getRequestBody()) {
            requestBody = in.readAllBytes();
        }
        String path = exchange.getRequestURI().getPath();
        if ("PUT".equals(method) && path.equals(crashedWritePath)) {
            crashedWritePath = null;
            String hex = OciRegistryClient.digest(requestBody).substring("sha256:".length());
            Path data = crashedWriteStorage.resolve("docker/registry/v2/blobs/sha256/" + hex.substring(0, 2) + "/" + hex
                    + "/data");
            Files.createDirectories(data.getParent());
            Files.write(data, new byte[0]);
        }
        HttpRequest.Builder request = HttpRequest.newBuilder(registry.resolve(exchange.getRequestURI().toString()))
                .method(method, requestBody.length == 0 ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofByteArray(requestBody));
        for (String name : FORWARDED_REQUEST_HEADERS) {
            String value = exchange.getRequestHeaders().getFirst(name);
            if (value != null) {
                request.header(name, value);
            }
        }
        HttpResponse<byte[]> response = http.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
        for (String name : FORWARDED_RESPONSE_HEADERS) {
            response.headers().firstValue(name).ifPresent(value -> exchange.getResponseHeaders().add(name, value));
        }
        byte[] body = response.body();
        boolean noBody = "HEAD".equals(method) || body.length == 0;
        exchange.sendResponseHeaders(response.statusCode(), noBody ? -1 : body.length);
        if (!noBody) {
            exchange.getResponseBody().write(body);
        }
    }

    @Override
    public void close() {
        release();
        server.stop(0);
    }
}
