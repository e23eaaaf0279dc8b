package dev.byoos.pack.registry;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

import javax.net.ssl.SSLContext;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * Pushes single-file artifacts to an OCI distribution registry the way {@code oras push} does: an
 * OCI image manifest whose config is ORAS's empty "unknown" config and whose one layer is the
 * file, titled with its name, so {@code oras pull} restores the file. Plain distribution-spec
 * HTTP calls; TLS when the URL is https (verified against the configured CA or the JVM's trust
 * store), plain HTTP otherwise.
 *
 * <p>Authentication follows the registry's {@code WWW-Authenticate} challenge: {@code Basic} with
 * the configured credentials, or {@code Bearer}, where a token for the challenge's scope is fetched
 * from its realm (with the credentials, if any) and reused until the registry challenges again.
 * Why a hand-written client rather than an ORAS library: docs/packs.md.
 */
public final class OciRegistryClient {

    public static final String MANIFEST_MEDIA_TYPE = "application/vnd.oci.image.manifest.v1+json";
    public static final String CONFIG_MEDIA_TYPE = "application/vnd.unknown.config.v1+json";
    public static final String LAYER_MEDIA_TYPE = "application/vnd.oci.image.layer.v1.tar";
    public static final String TITLE_ANNOTATION = "org.opencontainers.image.title";
    private static final byte[] EMPTY_CONFIG = "{}".getBytes(StandardCharsets.UTF_8);
    private static final Duration TIMEOUT = Duration.ofSeconds(60);
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Credentials for the registry (or its token realm). */
    public record Credentials(String username, String password) {
        String basicHeader() {
            return "Basic " + Base64.getEncoder().encodeToString((username + ":" + password).getBytes(StandardCharsets.UTF_8));
        }
    }

    public record Manifest(String digest, byte[] bytes) {
    }

    private final URI registry;
    private final Optional<Credentials> credentials;
    private final HttpClient http;
    /** Set once a registry challenges for Basic credentials; then sent with every request. */
    private volatile String basicAuthorization;
    /** Bearer tokens are scoped to a repository: the last one granted per repository, reused until challenged again. */
    private final Map<String, String> bearerAuthorizations = new ConcurrentHashMap<>();

    /** @param tls trusts the registry's certificate authority; the JVM's trust store when empty */
    public OciRegistryClient(URI registry, Optional<Credentials> credentials, Optional<SSLContext> tls) {
        this.registry = registry;
        this.credentials = credentials;
        HttpClient.Builder http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(10));
        tls.ifPresent(http::sslContext);
        this.http = http.build();
    }

    /** {@code host[:port]} as it appears in image references. */
    public String host() {
        return registry.getAuthority();
    }

    /** @return whether the registry answers its API base ({@code /v2/}); 401 counts: it is up, and wants credentials */
    public boolean reachable() {
        try {
            int status = http.send(HttpRequest.newBuilder(uri("/v2/")).timeout(Duration.ofSeconds(5)).GET().build(),
                    HttpResponse.BodyHandlers.discarding()).statusCode();
            return status == 200 || status == 401;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** Builds the ORAS-style manifest for one file, with extra manifest annotations. */
    public static Manifest manifestFor(String fileName, byte[] content, Map<String, String> annotations) {
        return manifestFor(LAYER_MEDIA_TYPE, content, Map.of(TITLE_ANNOTATION, fileName), annotations);
    }

    /**
     * A manifest of one layer of {@code layerMediaType} with the layer's own annotations, as cosign's
     * signature manifests are (the signature is an annotation of the payload layer).
     *
     * @param annotations the manifest's annotations; null for none
     */
    public static Manifest manifestFor(String layerMediaType, byte[] content, Map<String, String> layerAnnotations,
            Map<String, String> annotations) {
        Map<String, Object> manifest = new LinkedHashMap<>();
        manifest.put("schemaVersion", 2);
        manifest.put("mediaType", MANIFEST_MEDIA_TYPE);
        manifest.put("config", descriptor(CONFIG_MEDIA_TYPE, EMPTY_CONFIG, null));
        manifest.put("layers", List.of(descriptor(layerMediaType, content, layerAnnotations)));
        if (annotations != null) {
            manifest.put("annotations", annotations);
        }
        try {
            byte[] bytes = JSON.writeValueAsBytes(manifest);
            return new Manifest(digest(bytes), bytes);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Uploads the file and the config blob (when missing), then tags the manifest. */
    public void push(String repository, String tag, byte[] content, Manifest manifest) {
        uploadBlobIfMissing(repository, EMPTY_CONFIG);
        uploadBlobIfMissing(repository, content);
        HttpResponse<String> response = send(repository, () -> HttpRequest.newBuilder(uri("/v2/" + repository + "/manifests/" + tag))
                .header("Content-Type", MANIFEST_MEDIA_TYPE)
                .PUT(HttpRequest.BodyPublishers.ofByteArray(manifest.bytes())), HttpResponse.BodyHandlers.ofString());
        expect(response, 201, "tagging " + repository + ":" + tag);
    }

    /** @return the manifest currently tagged, if any */
    public Optional<Manifest> manifest(String repository, String tag) {
        HttpResponse<byte[]> response = send(repository, () -> HttpRequest.newBuilder(uri("/v2/" + repository + "/manifests/" + tag))
                .header("Accept", MANIFEST_MEDIA_TYPE)
                .GET(), HttpResponse.BodyHandlers.ofByteArray());
        if (response.statusCode() == 404) {
            return Optional.empty();
        }
        expect(response, 200, "reading manifest " + repository + ":" + tag);
        return Optional.of(new Manifest(digest(response.body()), response.body()));
    }

    private void uploadBlobIfMissing(String repository, byte[] blob) {
        String digest = digest(blob);
        HttpResponse<String> head = send(repository, () -> HttpRequest.newBuilder(uri("/v2/" + repository + "/blobs/" + digest))
                .method("HEAD", HttpRequest.BodyPublishers.noBody()), HttpResponse.BodyHandlers.ofString());
        if (head.statusCode() == 200) {
            return;
        }
        HttpResponse<String> start = send(repository, () -> HttpRequest.newBuilder(uri("/v2/" + repository + "/blobs/uploads/"))
                .POST(HttpRequest.BodyPublishers.noBody()), HttpResponse.BodyHandlers.ofString());
        expect(start, 202, "starting a blob upload to " + repository);
        String location = start.headers().firstValue("Location")
                .orElseThrow(() -> new RegistryException("blob upload to " + repository + " returned no Location"));
        URI uploadUri = registry.resolve(location);
        String separator = uploadUri.getQuery() == null ? "?" : "&";
        URI target = URI.create(uploadUri + separator + "digest=" + URLEncoder.encode(digest, StandardCharsets.UTF_8));
        HttpResponse<String> put = send(repository, () -> HttpRequest.newBuilder(target)
                .header("Content-Type", "application/octet-stream")
                .PUT(HttpRequest.BodyPublishers.ofByteArray(blob)), HttpResponse.BodyHandlers.ofString());
        expect(put, 201, "uploading blob " + digest + " to " + repository);
    }

    public static String digest(byte[] bytes) {
        try {
            return "sha256:" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Map<String, Object> descriptor(String mediaType, byte[] content, Map<String, String> annotations) {
        Map<String, Object> descriptor = new LinkedHashMap<>();
        descriptor.put("mediaType", mediaType);
        descriptor.put("digest", digest(content));
        descriptor.put("size", content.length);
        if (annotations != null) {
            descriptor.put("annotations", annotations);
        }
        return descriptor;
    }

    private URI uri(String path) {
        return registry.resolve(path);
    }

    /**
     * Sends a request with the authorization last granted, and once more after answering a 401
     * challenge. A second 401, or a 403, means the credentials are refused.
     */
    private <T> HttpResponse<T> send(String repository, Supplier<HttpRequest.Builder> request,
            HttpResponse.BodyHandler<T> body) {
        for (int attempt = 0; ; attempt++) {
            HttpRequest.Builder builder = request.get().timeout(TIMEOUT);
            String authorization = basicAuthorization != null ? basicAuthorization : bearerAuthorizations.get(repository);
            if (authorization != null) {
                builder.header("Authorization", authorization);
            }
            HttpResponse<T> response = exchange(builder.build(), body);
            if (response.statusCode() != 401 || attempt > 0) {
                if (response.statusCode() == 401 || response.statusCode() == 403) {
                    throw new RegistryUnavailableException("registry " + registry + " refused the "
                            + (credentials.isPresent() ? "configured credentials" : "anonymous request")
                            + " for " + response.request().method() + " " + response.request().uri().getPath()
                            + " (HTTP " + response.statusCode() + ")");
                }
                if (response.statusCode() >= 500 || response.statusCode() == 429) {
                    throw new RegistryUnavailableException("registry " + registry + " answered HTTP "
                            + response.statusCode() + " to " + response.request().method() + " "
                            + response.request().uri().getPath());
                }
                return response;
            }
            answer(repository, RegistryChallenge.parse(response.headers().firstValue("WWW-Authenticate").orElse(null))
                    .orElseThrow(() -> new RegistryUnavailableException("registry " + registry
                            + " answered 401 without a WWW-Authenticate challenge")));
        }
    }

    /** Obtains the authorization the challenge asks for and remembers it for the repository's next requests. */
    private void answer(String repository, RegistryChallenge challenge) {
        switch (challenge.scheme()) {
            case "basic" -> basicAuthorization = credentials.orElseThrow(() -> new RegistryUnavailableException("registry "
                    + registry + " wants Basic credentials and none are configured (byoos.publisher.registry.username)"))
                    .basicHeader();
            case "bearer" -> bearerAuthorizations.put(repository, "Bearer " + fetchToken(challenge));
            default -> throw new RegistryUnavailableException("registry " + registry
                    + " wants an unsupported authentication scheme: " + challenge.scheme());
        }
    }

    /** The distribution token protocol: GET realm?service=&scope= (with Basic credentials when configured). */
    private String fetchToken(RegistryChallenge challenge) {
        String realm = challenge.param("realm");
        if (realm == null) {
            throw new RegistryUnavailableException("registry " + registry + " sent a Bearer challenge without a realm");
        }
        StringBuilder query = new StringBuilder();
        for (String name : List.of("service", "scope")) {
            if (challenge.param(name) != null) {
                query.append(query.length() == 0 ? '?' : '&').append(name).append('=')
                        .append(URLEncoder.encode(challenge.param(name), StandardCharsets.UTF_8));
            }
        }
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(realm + query)).timeout(TIMEOUT).GET();
        credentials.ifPresent(c -> request.header("Authorization", c.basicHeader()));
        HttpResponse<String> response = exchange(request.build(), HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 200) {
            throw new RegistryUnavailableException("token realm " + realm + " answered HTTP " + response.statusCode());
        }
        try {
            JsonNode body = JSON.readTree(response.body());
            String token = body.path("token").asText(body.path("access_token").asText(""));
            if (token.isEmpty()) {
                throw new RegistryUnavailableException("token realm " + realm + " answered without a token");
            }
            return token;
        } catch (JsonProcessingException e) {
            throw new RegistryUnavailableException("token realm " + realm + " answered no JSON: " + e.getMessage(), e);
        }
    }

    private <T> HttpResponse<T> exchange(HttpRequest request, HttpResponse.BodyHandler<T> body) {
        try {
            return http.send(request, body);
        } catch (IOException e) {
            throw new RegistryUnavailableException("registry " + request.uri().getAuthority() + " unreachable: " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RegistryUnavailableException("interrupted while talking to " + request.uri().getAuthority(), e);
        }
    }

    private static void expect(HttpResponse<?> response, int status, String what) {
        if (response.statusCode() != status) {
            Object body = response.body() instanceof byte[] bytes ? new String(bytes, StandardCharsets.UTF_8) : response.body();
            throw new RegistryException(what + " answered HTTP " + response.statusCode() + ": " + body);
        }
    }
}
