package dev.byoos.cli;

import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.Optional;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;

/**
 * The factory's REST APIs as the CLI calls them: every call carries the bearer token, every
 * non-2xx answer becomes a {@link CliException} with its exit code and problem details. Redirects
 * are never followed with the token: a presigned URL is fetched by {@link #download} without it.
 */
public class Api {

    static final ObjectMapper JSON = JsonMapper.builder().findAndAddModules().build();
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);
    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(60);

    private final HttpClient http;
    private final Settings settings;

    public Api(Settings settings) {
        this.settings = settings;
        this.http = HttpClient.newBuilder().connectTimeout(CONNECT_TIMEOUT).followRedirects(HttpClient.Redirect.NEVER)
                .build();
    }

    /** An answer of the factory: its status, where it points ({@code Location}), and its JSON body. */
    public record Answer(int status, Optional<String> location, JsonNode body) {
    }

    public JsonNode get(URI base, String path) {
        return send(request(base, path).GET(), "GET " + path).body();
    }

    public Answer getAnswer(URI base, String path) {
        return send(request(base, path).GET(), "GET " + path);
    }

    public Answer post(URI base, String path, String contentType, byte[] body, String... headers) {
        HttpRequest.Builder request = request(base, path).POST(HttpRequest.BodyPublishers.ofByteArray(body));
        if (contentType != null) {
            request.header("Content-Type", contentType);
        }
        if (headers.length > 0) {
            request.headers(headers);
        }
        return send(request, "POST " + path);
    }

    /** A public, unauthenticated text resource (e.g. the signing key). */
    public String getText(URI base, String path) {
        HttpRequest request = HttpRequest.newBuilder(base.resolve(base.getPath() + path)).timeout(REQUEST_TIMEOUT).GET()
                .build();
        HttpResponse<String> response = exchange(request, HttpResponse.BodyHandlers.ofString(), "GET " + path);
        if (response.statusCode() / 100 != 2) {
            throw failure("GET " + path, response.statusCode(), parse(response.body()));
        }
        return response.body();
    }

    /**
     * Streams a presigned URL. No token is sent: the URL carries its own short-lived authorisation,
     * and it may name a host (S3) that must never see the caller's bearer token.
     */
    public InputStream download(URI presigned) {
        if (!"https".equals(presigned.getScheme()) && !"http".equals(presigned.getScheme())) {
            throw new CliException(ExitCodes.UNAVAILABLE, "the factory answered a download URL that is not http(s): "
                    + presigned.getScheme() + ":");
        }
        HttpRequest request = HttpRequest.newBuilder(presigned).GET().build();
        HttpResponse<InputStream> response = exchange(request, HttpResponse.BodyHandlers.ofInputStream(),
                "download from " + presigned.getHost());
        if (response.statusCode() != 200) {
            try (InputStream body = response.body()) {
                body.readNBytes(4096);
            } catch (IOException ignored) {
                // The status says what went wrong; the body is S3's XML at best.
            }
            throw new CliException(response.statusCode() >= 500 ? ExitCodes.UNAVAILABLE : ExitCodes.UNAUTHORIZED,
                    "download from " + presigned.getHost() + " answered HTTP " + response.statusCode()
                            + " (the presigned URL may have expired)");
        }
        return response.body();
    }

    private HttpRequest.Builder request(URI base, String path) {
        return HttpRequest.newBuilder(base.resolve(base.getPath() + path))
                .timeout(REQUEST_TIMEOUT)
                .header("Accept", "application/json")
                .header("Authorization", "Bearer " + settings.requireToken());
    }

    private Answer send(HttpRequest.Builder request, String what) {
        HttpResponse<String> response = exchange(request.build(), HttpResponse.BodyHandlers.ofString(), what);
        JsonNode body = parse(response.body());
        int status = response.statusCode();
        if (status / 100 == 2 || status == 303) {
            return new Answer(status, response.headers().firstValue("Location"), body);
        }
        throw failure(what, status, body);
    }

    private <T> HttpResponse<T> exchange(HttpRequest request, HttpResponse.BodyHandler<T> handler, String what) {
        try {
            return http.send(request, handler);
        } catch (HttpTimeoutException e) {
            throw new CliException(ExitCodes.UNAVAILABLE, what + ": no answer from " + request.uri().getHost() + ":"
                    + request.uri().getPort() + " within the timeout", e);
        } catch (ConnectException e) {
            throw new CliException(ExitCodes.UNAVAILABLE, what + ": cannot connect to " + request.uri().getScheme() + "://"
                    + request.uri().getAuthority() + " (is the factory running, and the URL right?)", e);
        } catch (IOException e) {
            throw new CliException(ExitCodes.UNAVAILABLE, what + ": " + e.getClass().getSimpleName() + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CliException(ExitCodes.UNAVAILABLE, what + ": interrupted", e);
        }
    }

    static CliException failure(String what, int status, JsonNode problem) {
        int exitCode = switch (status) {
            case 400, 415, 422 -> ExitCodes.REJECTED;
            case 401, 403 -> ExitCodes.UNAUTHORIZED;
            case 404 -> ExitCodes.NOT_FOUND;
            case 409 -> ExitCodes.CONFLICT;
            default -> status >= 500 ? ExitCodes.UNAVAILABLE : ExitCodes.REJECTED;
        };
        StringBuilder line = new StringBuilder(what).append(": HTTP ").append(status);
        String title = problem.path("title").asText("");
        String detail = problem.path("detail").asText("");
        if (!title.isEmpty()) {
            line.append(' ').append(title);
        }
        if (!detail.isEmpty()) {
            line.append(": ").append(detail);
        }
        if (status == 401) {
            line.append(" (check ").append(Settings.ENV_TOKEN).append(": missing, expired or for another audience)");
        }
        return new CliException(exitCode, line.toString(), problem.isObject() && problem.size() > 0 ? problem : null, null);
    }

    /** The body as JSON; anything else (an empty body, a proxy's HTML page) as an empty object. */
    static JsonNode parse(String body) {
        if (body == null || body.isBlank()) {
            return JsonNodeFactory.instance.objectNode();
        }
        try {
            return JSON.readTree(body);
        } catch (JsonProcessingException e) {
            return JsonNodeFactory.instance.objectNode();
        }
    }
}
