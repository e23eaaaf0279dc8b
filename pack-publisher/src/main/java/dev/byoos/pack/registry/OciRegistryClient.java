package dev.byoos.pack.registry;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * Pushes single-file artifacts to an OCI distribution registry the way {@code oras push} does:
 * an image manifest whose config is ORAS's empty "unknown" config and whose one layer is the file,
 * titled with its name. Plain HTTP API calls (distribution spec v1.1), no registry-specific API.
 */
public final class OciRegistryClient {

    public static final String MANIFEST_MEDIA_TYPE = "application/vnd.oci.image.manifest.v1+json";
    public static final String CONFIG_MEDIA_TYPE = "application/vnd.unknown.config.v1+json";
    public static final String LAYER_MEDIA_TYPE = "application/vnd.oci.image.layer.v1.tar";
    public static final String TITLE_ANNOTATION = "org.opencontainers.image.title";
    private static final byte[] EMPTY_CONFIG = "{}".getBytes(StandardCharsets.UTF_8);
    private static final Duration TIMEOUT = Duration.ofSeconds(60);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final URI registry;
    private final HttpClient http;

    public OciRegistryClient(URI registry) {
        this.registry = registry;
        this.http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(10)).build();
    }

    /** {@code host[:port]} as it appears in image references. */
    public String host() {
        return registry.getAuthority();
    }

    /** @return whether the registry answers its API base ({@code /v2/}); 401 counts: it is up, and wants credentials */
    public boolean reachable() {
        try {
            int status = send(HttpRequest.newBuilder(uri("/v2/")).GET()).statusCode();
            return status == 200 || status == 401;
        } catch (RegistryException e) {
            return false;
        }
    }

    public record Manifest(String digest, byte[] bytes) {
    }

    /** Builds the ORAS-style manifest for one file, with extra manifest annotations. */
    public static Manifest manifestFor(String fileName, byte[] content, Map<String, String> annotations) {
        Map<String, Object> manifest = new LinkedHashMap<>();
        manifest.put("schemaVersion", 2);
        manifest.put("mediaType", MANIFEST_MEDIA_TYPE);
        manifest.put("config", descriptor(CONFIG_MEDIA_TYPE, EMPTY_CONFIG, null));
        manifest.put("layers", List.of(descriptor(LAYER_MEDIA_TYPE, content, Map.of(TITLE_ANNOTATION, fileName))));
        manifest.put("annotations", annotations);
        try {
            byte[] bytes = JSON.writeValueAsBytes(manifest);
            return new Manifest(digest(bytes), bytes);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Uploads the file and the config blob (when missing), then tags the manifest. */
    public void push(String repository, String tag, String fileName, byte[] content, Manifest manifest) {
        uploadBlobIfMissing(repository, EMPTY_CONFIG);
        uploadBlobIfMissing(repository, content);
        HttpResponse<String> response = send(HttpRequest.newBuilder(uri("/v2/" + repository + "/manifests/" + tag))
                .header("Content-Type", MANIFEST_MEDIA_TYPE)
                .PUT(HttpRequest.BodyPublishers.ofByteArray(manifest.bytes())));
        expect(response, 201, "tagging " + repository + ":" + tag);
    }

    /** @return the manifest currently tagged, if any */
    public Optional<Manifest> manifest(String repository, String tag) {
        HttpResponse<byte[]> response = sendBytes(HttpRequest.newBuilder(uri("/v2/" + repository + "/manifests/" + tag))
                .header("Accept", MANIFEST_MEDIA_TYPE)
                .GET());
        if (response.statusCode() == 404) {
            return Optional.empty();
        }
        if (response.statusCode() != 200) {
            throw new RegistryException("reading manifest " + repository + ":" + tag + " answered HTTP "
                    + response.statusCode());
        }
        return Optional.of(new Manifest(digest(response.body()), response.body()));
    }

    private void uploadBlobIfMissing(String repository, byte[] blob) {
        String digest = digest(blob);
        HttpResponse<String> head = send(HttpRequest.newBuilder(uri("/v2/" + repository + "/blobs/" + digest))
                .method("HEAD", HttpRequest.BodyPublishers.noBody()));
        if (head.statusCode() == 200) {
            return;
        }
        HttpResponse<String> start = send(HttpRequest.newBuilder(uri("/v2/" + repository + "/blobs/uploads/"))
                .POST(HttpRequest.BodyPublishers.noBody()));
        expect(start, 202, "starting a blob upload to " + repository);
        String location = start.headers().firstValue("Location")
                .orElseThrow(() -> new RegistryException("blob upload to " + repository + " returned no Location"));
        URI uploadUri = registry.resolve(location);
        String separator = uploadUri.getQuery() == null ? "?" : "&";
        HttpResponse<String> put = send(HttpRequest.newBuilder(URI.create(uploadUri + separator + "digest=" + digest))
                .header("Content-Type", "application/octet-stream")
                .PUT(HttpRequest.BodyPublishers.ofByteArray(blob)));
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

    private HttpResponse<String> send(HttpRequest.Builder request) {
        try {
            return http.send(request.timeout(TIMEOUT).build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new RegistryException("registry " + registry + " unreachable: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RegistryException("interrupted while talking to " + registry, e);
        }
    }

    private HttpResponse<byte[]> sendBytes(HttpRequest.Builder request) {
        try {
            return http.send(request.timeout(TIMEOUT).build(), HttpResponse.BodyHandlers.ofByteArray());
        } catch (IOException e) {
            throw new RegistryException("registry " + registry + " unreachable: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RegistryException("interrupted while talking to " + registry, e);
        }
    }

    private static void expect(HttpResponse<String> response, int status, String what) {
        if (response.statusCode() != status) {
            throw new RegistryException(what + " answered HTTP " + response.statusCode() + ": " + response.body());
        }
    }

    /** The registry could not be reached or refused a request. */
    public static class RegistryException extends RuntimeException {
        public RegistryException(String message) {
            super(message);
        }

        public RegistryException(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
