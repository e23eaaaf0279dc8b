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
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
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
    private static final int MAX_ERROR_TEXT = 200;
    /**
     * What a registry answers (HTTP 400) to a manifest whose blobs it cannot find or read back:
     * missing (deleted since this client remembered it), or in the middle of being written by another
     * client pushing the same blob (distribution's filesystem storage rewrites a blob's link file in
     * place, and a manifest checked meanwhile reads it empty: DIGEST_INVALID).
     */
    private static final Set<String> BLOBS_IN_DOUBT_CODES = Set.of("MANIFEST_BLOB_UNKNOWN", "BLOB_UNKNOWN",
            "DIGEST_INVALID");
    /** Pushes of one manifest, each after uploading its blobs, before a blobs-in-doubt answer is final. */
    private static final int MAX_PUSH_ATTEMPTS = 3;
    private static final Duration BLOBS_IN_DOUBT_PAUSE = Duration.ofMillis(50);
    private static final int MAX_CONFIG_BLOB_HOLDERS = 10_000;
    /** Other spellings of a manifest tried when the registry cannot read back the one it accepted. */
    private static final int MAX_RESPELLINGS = 3;

    /** Credentials for the registry (or its token realm). */
    public record Credentials(String username, String password) {
        String basicHeader() {
            return "Basic " + Base64.getEncoder().encodeToString((username + ":" + password).getBytes(StandardCharsets.UTF_8));
        }
    }

    public record Manifest(String digest, byte[] bytes) {

        /**
         * The same manifest in other bytes, so under another digest: {@code spelling} line feeds
         * after the JSON (whitespace, which every JSON reader skips). What is pushed when the
         * registry holds this digest's bytes unreadable ({@link #push}); each spelling's digest is
         * fixed, so a redelivery pushes the same ones.
         */
        Manifest respelled(int spelling) {
            byte[] respelled = Arrays.copyOf(bytes, bytes.length + spelling);
            Arrays.fill(respelled, bytes.length, respelled.length, (byte) '\n');
            return new Manifest(OciRegistryClient.digest(respelled), respelled);
        }

        /** @return the spelling of this manifest ({@link #push} may tag any) whose digest is {@code digest}, if any */
        public Optional<Manifest> spelledAs(String digest) {
            for (int spelling = 0; spelling <= MAX_RESPELLINGS; spelling++) {
                Manifest candidate = spelling == 0 ? this : respelled(spelling);
                if (candidate.digest().equals(digest)) {
                    return Optional.of(candidate);
                }
            }
            return Optional.empty();
        }
    }

    private final URI registry;
    private final Optional<Credentials> credentials;
    private final HttpClient http;
    /** Set once a registry challenges for Basic credentials; then sent with every request. */
    private volatile String basicAuthorization;
    /** Bearer tokens are scoped to a repository: the last one granted per repository, reused until challenged again. */
    private final Map<String, String> bearerAuthorizations = new ConcurrentHashMap<>();
    /**
     * Repositories this client put the empty config blob every pack manifest names in: each push
     * would otherwise upload it again. A manifest the registry refuses for a missing blob forgets the
     * repository ({@link #pushWithBlobs}). Bounded: forgetting costs one upload of two bytes.
     */
    private final Set<String> configBlobHolders = ConcurrentHashMap.newKeySet();

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
        return manifest(List.of(descriptor(layerMediaType, content, layerAnnotations)), annotations);
    }

    /**
     * An OCI artifact that refers to another manifest ({@code subject}), as OCI 1.1 referrers are: one
     * layer of {@code artifactType} holding {@code content}. Registries without the referrers API find
     * it by the tag the caller gives it (the tag-schema fallback, {@code sha256-<hex>.<suffix>}).
     *
     * @param subject the manifest referred to, as read from the registry (its digest and size)
     */
    public static Manifest referrer(String artifactType, byte[] content, Manifest subject,
            Map<String, String> annotations) {
        Map<String, Object> fields = new LinkedHashMap<>();
        fields.put("artifactType", artifactType);
        Map<String, Object> subjectDescriptor = new LinkedHashMap<>();
        subjectDescriptor.put("mediaType", MANIFEST_MEDIA_TYPE);
        subjectDescriptor.put("digest", subject.digest());
        subjectDescriptor.put("size", subject.bytes().length);
        fields.put("subject", subjectDescriptor);
        return manifest(List.of(descriptor(artifactType, content, null)), annotations, fields);
    }

    /** The manifest {@code oras push <reference>} writes without files: the empty config and no layer. */
    public static Manifest emptyArtifact() {
        return manifest(List.of(), null);
    }

    private static Manifest manifest(List<Map<String, Object>> layers, Map<String, String> annotations) {
        return manifest(layers, annotations, Map.of());
    }

    /** @param fields further top-level fields (artifactType, subject) */
    private static Manifest manifest(List<Map<String, Object>> layers, Map<String, String> annotations,
            Map<String, Object> fields) {
        Map<String, Object> manifest = new LinkedHashMap<>();
        manifest.put("schemaVersion", 2);
        manifest.put("mediaType", MANIFEST_MEDIA_TYPE);
        manifest.putAll(fields);
        manifest.put("config", descriptor(CONFIG_MEDIA_TYPE, EMPTY_CONFIG, null));
        manifest.put("layers", layers);
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

    /**
     * Uploads the config blob (once per repository) and the file, then tags the manifest and reads
     * it back ({@link #pushReadable}). Blobs are uploaded without asking first (no HEAD): they are
     * small, and the file is new to the registry but after a push whose tagging failed, so a HEAD
     * would cost a round trip on nearly every push to save an upload of a few KiB rarely; a
     * registry keeps a blob it has already.
     *
     * @return the manifest tagged: {@code manifest}, or the same in other bytes
     *         ({@link Manifest#respelled}) when the registry held that digest's bytes unreadable
     */
    public Manifest push(String repository, String tag, byte[] content, Manifest manifest) {
        return pushReadable(repository, tag, manifest, () -> uploadBlob(repository, content), MAX_RESPELLINGS);
    }

    /**
     * {@link #push} of exactly these bytes, never another spelling: for a manifest whose digest was
     * announced already. One that does not read back leaves the registry unavailable for now.
     */
    public void pushExactly(String repository, String tag, byte[] content, Manifest manifest) {
        pushReadable(repository, tag, manifest, () -> uploadBlob(repository, content), 0);
    }

    /** Uploads the config blob (once per repository) and tags {@link #emptyArtifact()}. */
    public void pushEmptyArtifact(String repository, String tag) {
        pushReadable(repository, tag, emptyArtifact(), () -> { }, MAX_RESPELLINGS);
    }

    /**
     * Tags the manifest, then reads it back by digest. A registry whose storage writes a manifest in
     * place (distribution's filesystem driver) and that stops in the middle of writing it leaves the
     * digest's bytes empty or cut; it later accepts a push of the same manifest without writing it
     * again (content-addressed: the digest's file exists) and links the tag to it, and every read
     * of the tag answers 500 from then on. So a manifest that does not read back as pushed is
     * pushed again in other bytes ({@link Manifest#respelled}), which moves the tag to a digest the
     * registry writes anew, up to {@code maxRespellings} times before the registry counts as
     * unavailable. Only an unreadable manifest or other bytes lead to a respelling: a read-back the
     * registry answers 404, 5xx (but for an unreadable manifest), 408 or 429 is waited out as any
     * outage, and the same bytes are pushed next time.
     */
    private Manifest pushReadable(String repository, String tag, Manifest manifest, Runnable uploadLayers,
            int maxRespellings) {
        Manifest spelling = manifest;
        for (int respelling = 1; ; respelling++) {
            pushWithBlobs(repository, tag, spelling, uploadLayers);
            if (readsBack(repository, tag, spelling)) {
                return spelling;
            }
            if (respelling > maxRespellings) {
                throw new RegistryUnavailableException("registry " + host() + " accepted manifest " + spelling.digest()
                        + " for " + repository + ":" + tag + " but does not read it back as pushed"
                        + (maxRespellings == 0 ? "" : ", nor " + maxRespellings + " other spellings of it"));
            }
            spelling = manifest.respelled(respelling);
        }
    }

    /**
     * @return whether the registry answers the manifest's digest with exactly its bytes; false when
     *         it cannot read them or serves others
     * @throws RegistryUnavailableException when it does not answer for the digest now
     */
    private boolean readsBack(String repository, String tag, Manifest manifest) {
        Optional<Manifest> stored;
        try {
            stored = manifest(repository, manifest.digest());
        } catch (UnreadableManifestException e) {
            return false;
        }
        if (stored.isEmpty()) {
            throw new RegistryUnavailableException("registry " + host() + " accepted manifest " + manifest.digest()
                    + " for " + repository + ":" + tag + " but answers 404 to it");
        }
        return Arrays.equals(stored.get().bytes(), manifest.bytes());
    }

    /**
     * Uploads the manifest's blobs, then tags it. A registry that answers that it cannot find or read
     * a blob the manifest names ({@link #BLOBS_IN_DOUBT_CODES}) gets all of them again, the config
     * blob too, and the manifest once more, a few times: the blobs were uploaded moments ago, so the
     * answer means a concurrent push of the same blobs (one build delivered to two replicas) or a
     * blob removed since this client last put it there, not a bad manifest.
     */
    private void pushWithBlobs(String repository, String tag, Manifest manifest, Runnable uploadLayers) {
        for (int attempt = 1; ; attempt++) {
            ensureConfigBlob(repository);
            uploadLayers.run();
            HttpResponse<String> response = send(repository, () -> HttpRequest.newBuilder(uri("/v2/" + repository
                    + "/manifests/" + tag)).header("Content-Type", MANIFEST_MEDIA_TYPE)
                    .PUT(HttpRequest.BodyPublishers.ofByteArray(manifest.bytes())), HttpResponse.BodyHandlers.ofString());
            if (attempt < MAX_PUSH_ATTEMPTS && response.statusCode() == 400
                    && BLOBS_IN_DOUBT_CODES.contains(String.valueOf(errorCode(response)))) {
                configBlobHolders.remove(repository);
                pause(BLOBS_IN_DOUBT_PAUSE.multipliedBy(attempt));
                continue;
            }
            expect(response, 201, repository, "tagging " + repository + ":" + tag);
            return;
        }
    }

    /** Uploads the config blob unless this client put it in the repository before. */
    private void ensureConfigBlob(String repository) {
        if (configBlobHolders.contains(repository)) {
            return;
        }
        uploadBlob(repository, EMPTY_CONFIG);
        if (configBlobHolders.size() >= MAX_CONFIG_BLOB_HOLDERS) {
            configBlobHolders.clear();
        }
        configBlobHolders.add(repository);
    }

    private static void pause(Duration duration) {
        try {
            Thread.sleep(duration.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RegistryUnavailableException("interrupted while pushing again", e);
        }
    }

    /**
     * @return whether the repository exists: it lists its tags. A repository created empty (ECR's
     *         {@code create-repository}) exists; on registries that create repositories on push, one
     *         exists once something was pushed to it.
     */
    public boolean repositoryExists(String repository) {
        HttpResponse<String> response = send(repository, () -> HttpRequest.newBuilder(uri("/v2/" + repository + "/tags/list"))
                .GET(), HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() == 404) {
            return false;
        }
        expect(response, 200, repository, "listing the tags of " + repository);
        return true;
    }

    /**
     * @return the manifest {@code reference} (a tag or a digest) names, if any
     * @throws UnreadableManifestException when the registry answers its API but 500 for this manifest
     */
    public Optional<Manifest> manifest(String repository, String reference) {
        HttpResponse<byte[]> response = sendAnsweringServerErrors(repository, () -> HttpRequest.newBuilder(
                uri("/v2/" + repository + "/manifests/" + reference)).header("Accept", MANIFEST_MEDIA_TYPE).GET(),
                HttpResponse.BodyHandlers.ofByteArray());
        if (response.statusCode() == 500 && reachable()) {
            throw new UnreadableManifestException("registry " + host() + " answers, but HTTP 500 to manifest "
                    + repository + ":" + reference + " (" + errorField(response, "message") + "): its stored bytes "
                    + "cannot be read, as a registry stopped while writing them leaves them");
        }
        if (unavailable(response)) {
            throw unavailableException(response);
        }
        if (response.statusCode() == 404) {
            return Optional.empty();
        }
        expect(response, 200, repository, "reading manifest " + repository + ":" + reference);
        return Optional.of(new Manifest(digest(response.body()), response.body()));
    }

    /**
     * Deletes the manifest {@code digest}, and with it every tag that names it (the distribution API
     * deletes manifests by digest; a registry that refuses deletes answers 405, distribution unless
     * {@code storage.delete.enabled: true}).
     *
     * @return false when the manifest was gone already
     */
    public boolean deleteManifest(String repository, String digest) {
        HttpResponse<String> response = send(repository, () -> HttpRequest.newBuilder(uri("/v2/" + repository
                + "/manifests/" + digest)).DELETE(), HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() == 404) {
            return false;
        }
        expect(response, 202, repository, "deleting manifest " + digest + " (a registry must allow deletes for "
                + "this: distribution's storage.delete.enabled: true)");
        return true;
    }

    /** The distribution API's two-step upload (POST, then PUT with the digest); a blob there already is kept. */
    private void uploadBlob(String repository, byte[] blob) {
        String digest = digest(blob);
        HttpResponse<String> start = send(repository, () -> HttpRequest.newBuilder(uri("/v2/" + repository + "/blobs/uploads/"))
                .POST(HttpRequest.BodyPublishers.noBody()), HttpResponse.BodyHandlers.ofString());
        expect(start, 202, repository, "starting a blob upload");
        String location = start.headers().firstValue("Location")
                .orElseThrow(() -> new RegistryException("registry " + host() + " started a blob upload in repository "
                        + repository + " without a Location", start.statusCode(), null));
        URI uploadUri = registry.resolve(location);
        String separator = uploadUri.getQuery() == null ? "?" : "&";
        URI target = URI.create(uploadUri + separator + "digest=" + URLEncoder.encode(digest, StandardCharsets.UTF_8));
        HttpResponse<String> put = send(repository, () -> HttpRequest.newBuilder(target)
                .header("Content-Type", "application/octet-stream")
                .PUT(HttpRequest.BodyPublishers.ofByteArray(blob)), HttpResponse.BodyHandlers.ofString());
        expect(put, 201, repository, "uploading blob " + digest);
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
     * challenge (a first request, or a token that expired). A second 401, or a 403, means the
     * credentials are refused: that is permanent ({@link RegistryException}), as is every 4xx the
     * caller does not expect. Only 5xx, 408 and 429 are waited out.
     */
    private <T> HttpResponse<T> send(String repository, Supplier<HttpRequest.Builder> request,
            HttpResponse.BodyHandler<T> body) {
        HttpResponse<T> response = sendAnsweringServerErrors(repository, request, body);
        if (unavailable(response)) {
            throw unavailableException(response);
        }
        return response;
    }

    /** {@link #send}, returning the registry's 5xx, 408 and 429 answers for the caller to judge. */
    private <T> HttpResponse<T> sendAnsweringServerErrors(String repository, Supplier<HttpRequest.Builder> request,
            HttpResponse.BodyHandler<T> body) {
        for (int attempt = 0; ; attempt++) {
            HttpRequest.Builder builder = request.get().timeout(TIMEOUT);
            String authorization = basicAuthorization != null ? basicAuthorization : bearerAuthorizations.get(repository);
            if (authorization != null) {
                builder.header("Authorization", authorization);
            }
            HttpResponse<T> response = exchange(builder.build(), body);
            int status = response.statusCode();
            if (status == 401 && attempt == 0) {
                answer(repository, RegistryChallenge.parse(response.headers().firstValue("WWW-Authenticate").orElse(null))
                        .orElseThrow(() -> new RegistryException("registry " + host() + " answered HTTP 401 without a "
                                + "WWW-Authenticate challenge for repository " + repository, 401, errorCode(response))));
                continue;
            }
            if (status == 401 || status == 403) {
                throw refused(response, repository, "the " + (credentials.isPresent() ? "configured credentials"
                        : "anonymous request") + " for " + response.request().method() + " "
                        + response.request().uri().getPath());
            }
            return response;
        }
    }

    private static boolean unavailable(HttpResponse<?> response) {
        int status = response.statusCode();
        return status >= 500 || status == 408 || status == 429;
    }

    private RegistryUnavailableException unavailableException(HttpResponse<?> response) {
        return new RegistryUnavailableException("registry " + host() + " answered HTTP " + response.statusCode() + " to "
                + response.request().method() + " " + response.request().uri().getPath(), retryAfter(response));
    }

    /** Obtains the authorization the challenge asks for and remembers it for the repository's next requests. */
    private void answer(String repository, RegistryChallenge challenge) {
        switch (challenge.scheme()) {
            case "basic" -> basicAuthorization = credentials.orElseThrow(() -> new RegistryException("registry "
                    + host() + " wants Basic credentials for repository " + repository
                    + " and none are configured (byoos.publisher.registry.username)", 401, null)).basicHeader();
            case "bearer" -> bearerAuthorizations.put(repository, "Bearer " + fetchToken(repository, challenge));
            default -> throw new RegistryException("registry " + host() + " wants an unsupported authentication scheme "
                    + "for repository " + repository + ": " + challenge.scheme(), 401, null);
        }
    }

    /** The distribution token protocol: GET realm?service=&scope= (with Basic credentials when configured). */
    private String fetchToken(String repository, RegistryChallenge challenge) {
        String realm = challenge.param("realm");
        if (realm == null) {
            throw new RegistryException("registry " + host() + " sent a Bearer challenge without a realm for repository "
                    + repository, 401, null);
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
        int status = response.statusCode();
        if (status >= 500 || status == 408 || status == 429) {
            throw new RegistryUnavailableException("token realm " + realm + " of registry " + host() + " answered HTTP "
                    + status, retryAfter(response));
        }
        if (status != 200) {
            throw refused(response, repository, "a token for scope " + challenge.param("scope") + " (token realm "
                    + realm + ")");
        }
        try {
            JsonNode body = JSON.readTree(response.body());
            String token = body.path("token").asText(body.path("access_token").asText(""));
            if (token.isEmpty()) {
                throw new RegistryException("token realm " + realm + " of registry " + host()
                        + " answered without a token for repository " + repository, status, null);
            }
            return token;
        } catch (JsonProcessingException e) {
            throw new RegistryException("token realm " + realm + " of registry " + host() + " answered no JSON for "
                    + "repository " + repository + ": " + e.getOriginalMessage(), status, null);
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

    private void expect(HttpResponse<?> response, int status, String repository, String what) {
        if (response.statusCode() != status) {
            throw refused(response, repository, what);
        }
    }

    /**
     * The registry's refusal, with what its error body says (distribution's {@code {"errors":[{"code","message"}]}}).
     * A write answered 404 {@code NAME_UNKNOWN} is a repository the registry lacks and will not create
     * ({@link RepositoryMissingException}); reads of a repository not pushed to yet answer the same,
     * and are no refusal.
     */
    private RegistryException refused(HttpResponse<?> response, String repository, String what) {
        String code = errorCode(response);
        String message = errorField(response, "message");
        String refusal = "registry " + host() + " refused " + what + " in repository " + repository
                + ": HTTP " + response.statusCode() + (code == null ? "" : " " + code)
                + (message == null ? "" : " (" + message + ")");
        String method = response.request().method();
        if (response.statusCode() == 404 && "NAME_UNKNOWN".equals(code) && !method.equals("GET") && !method.equals("HEAD")) {
            return new RepositoryMissingException(host(), repository, refusal, response.statusCode());
        }
        return new RegistryException(refusal, response.statusCode(), code);
    }

    private static String errorCode(HttpResponse<?> response) {
        return errorField(response, "code");
    }

    /** A field of the first error in the body; bounded, as the registry's words end up in a build's reason. */
    private static String errorField(HttpResponse<?> response, String field) {
        Object body = response.body() instanceof byte[] bytes ? new String(bytes, StandardCharsets.UTF_8) : response.body();
        if (!(body instanceof String text) || text.isBlank()) {
            return null;
        }
        try {
            JsonNode value = JSON.readTree(text).path("errors").path(0).path(field);
            if (!value.isTextual() || value.asText().isBlank()) {
                return null;
            }
            String said = value.asText().replaceAll("\\p{Cntrl}", " ");
            return said.length() <= MAX_ERROR_TEXT ? said : said.substring(0, MAX_ERROR_TEXT) + "…";
        } catch (JsonProcessingException e) {
            return null;
        }
    }

    /**
     * The {@code Retry-After} of a 429 or 503: delay-seconds or an HTTP date; null when absent or
     * unreadable. The caller caps it.
     */
    private static Duration retryAfter(HttpResponse<?> response) {
        String value = response.headers().firstValue("Retry-After").map(String::trim).orElse("");
        if (value.matches("\\d{1,9}")) {
            return Duration.ofSeconds(Long.parseLong(value));
        }
        try {
            Duration until = Duration.between(Instant.now(), ZonedDateTime.parse(value, DateTimeFormatter.RFC_1123_DATE_TIME));
            return until.isNegative() ? Duration.ZERO : until;
        } catch (DateTimeParseException e) {
            return null;
        }
    }
}
