package dev.byoos.pack.service;

import java.util.LinkedHashMap;
import java.util.Map;

import jakarta.enterprise.context.ApplicationScoped;

import org.jboss.logging.Logger;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.byoos.contract.PackRetired;
import dev.byoos.pack.config.PublisherConfig;
import dev.byoos.pack.registry.OciRegistryClient;
import dev.byoos.pack.registry.UnreadableManifestException;

/**
 * Marks a revoked pack version in the registry itself, so any client finds it without asking the
 * factory: an OCI artifact tagged {@code sha256-<hex>.revoked} in the pack's repository (the
 * tag-schema fallback of OCI referrers, as cosign's {@code .sig} tags are, see
 * {@link dev.byoos.pack.signing.PackSigner}), whose {@code subject} is the pack manifest and whose
 * annotations say why, when and by whom. With {@code byoos.publisher.revocation.remove-tag} the pack
 * manifest is deleted too, after the marker, so its version tag no longer resolves.
 *
 * <p>Idempotent: an existing marker is kept (the first revocation's words stand, as in the catalog),
 * and a manifest deleted already is no failure, so repeating a revocation completes one that failed
 * halfway.
 */
@ApplicationScoped
public class RevocationMarker {

    public static final String ARTIFACT_TYPE = "application/vnd.byoos.pack.revocation.v1+json";
    public static final String REASON_ANNOTATION = "byoos.dev/revocation-reason";
    public static final String REVOKED_AT_ANNOTATION = "byoos.dev/revoked-at";
    public static final String REVOKED_BY_ANNOTATION = "byoos.dev/revoked-by";
    public static final String CREATED_ANNOTATION = "org.opencontainers.image.created";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Logger LOG = Logger.getLogger(RevocationMarker.class);

    private final OciRegistryClient registry;
    private final boolean removeTag;

    public RevocationMarker(OciRegistryClient registry, PublisherConfig config) {
        this.registry = registry;
        this.removeTag = config.revocation().removeTag();
    }

    /** The marker's tag for the pack manifest {@code sha256:<hex>}. */
    public static String markerTag(String manifestDigest) {
        return manifestDigest.replace(':', '-') + ".revoked";
    }

    /**
     * @param reference the version's {@code host[:port]/<repository>:<version>}, as the catalog holds it
     * @throws dev.byoos.pack.registry.RegistryException             the registry refuses
     * @throws dev.byoos.pack.registry.RegistryUnavailableException while it cannot be reached
     */
    public void mark(String reference, PackRetired revocation) {
        String repository = reference.substring(reference.indexOf('/') + 1, reference.lastIndexOf(':'));
        String tag = markerTag(revocation.manifestDigest());
        if (markerMissing(repository, tag)) {
            OciRegistryClient.Manifest pack = registry.manifest(repository, revocation.manifestDigest())
                    .orElseThrow(() -> new IllegalStateException("pack manifest " + revocation.manifestDigest()
                            + " of " + reference + " is not in the registry, and no revocation marker names it"));
            byte[] content = document(revocation);
            Map<String, String> annotations = new LinkedHashMap<>();
            annotations.put(REASON_ANNOTATION, revocation.reason());
            annotations.put(REVOKED_AT_ANNOTATION, revocation.at());
            annotations.put(REVOKED_BY_ANNOTATION, revocation.actor());
            annotations.put(CREATED_ANNOTATION, revocation.at());
            registry.push(repository, tag, content, OciRegistryClient.referrer(ARTIFACT_TYPE, content, pack,
                    annotations));
            LOG.infof("marked %s revoked: %s:%s", reference, repository, tag);
        }
        if (removeTag && registry.deleteManifest(repository, revocation.manifestDigest())) {
            LOG.infof("deleted the revoked pack manifest %s (%s)", revocation.manifestDigest(), reference);
        }
    }

    /** A marker the registry cannot read (a registry stopped while writing it) is pushed again: no one else mends it. */
    private boolean markerMissing(String repository, String tag) {
        try {
            return registry.manifest(repository, tag).isEmpty();
        } catch (UnreadableManifestException e) {
            LOG.warnf("%s; pushing the revocation marker again", e.getMessage());
            return true;
        }
    }

    /** The marker's one layer: the revocation as the event announces it. */
    private static byte[] document(PackRetired revocation) {
        try {
            return JSON.writeValueAsBytes(revocation);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
