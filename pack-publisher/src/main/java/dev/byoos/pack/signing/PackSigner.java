package dev.byoos.pack.signing;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;

import jakarta.enterprise.context.ApplicationScoped;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.byoos.pack.config.PublisherConfig;
import dev.byoos.pack.registry.OciRegistryClient;
import dev.byoos.service.signing.EcSigningKey;

/**
 * Signs pack manifests in cosign's signature convention, so that
 * {@code cosign verify --key signing.pub --insecure-ignore-tlog <repository>@<digest>} accepts a
 * published pack: a manifest tagged {@code sha256-<hex>.sig} in the pack's repository whose one
 * layer is the simple-signing payload ({@value #PAYLOAD_MEDIA_TYPE}: the repository and the signed
 * manifest digest) with the base64 DER ECDSA-SHA256 signature of the payload's bytes in the
 * layer's {@value #SIGNATURE_ANNOTATION} annotation. The key is the installation's signing key, the
 * one artifact-service signs artifacts with ({@code BYOOS_SIGNING_*_KEY_FILE}).
 */
@ApplicationScoped
public class PackSigner {

    public static final String PAYLOAD_MEDIA_TYPE = "application/vnd.dev.cosign.simplesigning.v1+json";
    public static final String SIGNATURE_ANNOTATION = "dev.cosignproject.cosign/signature";
    public static final String PAYLOAD_TYPE = "cosign container image signature";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final EcSigningKey key;

    public PackSigner(PublisherConfig config) {
        this.key = EcSigningKey.load(config.signing().privateKeyFile(), config.signing().publicKeyFile(),
                "byoos.publisher.signing");
    }

    /** cosign's tag for the signatures of the manifest {@code sha256:<hex>}. */
    public static String signatureTag(String manifestDigest) {
        return manifestDigest.replace(':', '-') + ".sig";
    }

    /**
     * @param repository     {@code host[:port]/<repository>}, the payload's docker-reference
     * @param manifestDigest the signed manifest, {@code sha256:<hex>}
     * @return the signature manifest to tag {@link #signatureTag(String)}, and its payload layer
     */
    public Signature sign(String repository, String manifestDigest) {
        Map<String, Object> critical = new LinkedHashMap<>();
        critical.put("identity", Map.of("docker-reference", repository));
        critical.put("image", Map.of("docker-manifest-digest", manifestDigest));
        critical.put("type", PAYLOAD_TYPE);
        Map<String, Object> payload = new LinkedHashMap<>();
        payload.put("critical", critical);
        payload.put("optional", null);
        byte[] bytes;
        try {
            bytes = JSON.writeValueAsString(payload).getBytes(StandardCharsets.UTF_8);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
        String signature = Base64.getEncoder().encodeToString(key.sign("SHA256withECDSA", bytes));
        return new Signature(bytes, OciRegistryClient.manifestFor(PAYLOAD_MEDIA_TYPE, bytes,
                Map.of(SIGNATURE_ANNOTATION, signature), null));
    }

    /** @param payload the signed simple-signing document, the manifest's one layer */
    public record Signature(byte[] payload, OciRegistryClient.Manifest manifest) {
    }
}
