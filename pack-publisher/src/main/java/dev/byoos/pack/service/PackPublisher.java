package dev.byoos.pack.service;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;

import jakarta.enterprise.context.ApplicationScoped;

import org.jboss.logging.Logger;

import io.opentelemetry.instrumentation.annotations.WithSpan;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.byoos.contract.ArtifactStored;
import dev.byoos.contract.BuildFailed;
import dev.byoos.pack.config.PublisherConfig;
import dev.byoos.pack.registry.OciRegistryClient;
import dev.byoos.pack.registry.RegistryException;
import dev.byoos.pack.registry.UnreadableManifestException;
import dev.byoos.pack.repository.PackCatalog;
import dev.byoos.pack.render.PackRenderer;
import dev.byoos.pack.render.UnpublishablePackException;
import dev.byoos.pack.signing.PackSigner;

/**
 * Renders a stored artifact's pack, puts it in the registry exactly once per name:version, and
 * records it in the pack catalog, its manifest signed in cosign's convention ({@link PackSigner}).
 * A pack name belongs to the team that first published it: another team's build of that name fails
 * ({@value #NAME_TAKEN}) before anything is pushed.
 *
 * <p>A version belongs to the build that claimed it first in the catalog, before anything is
 * pushed: the registry has no compare-and-set, so two replicas publishing one new tag (two builds of
 * one name:version, or one build delivered to both after a rebalance) meet on the catalog's unique
 * constraint instead. Another build's claim fails this one ({@value #VERSION_CONFLICT}); this
 * build's own claim (a redelivery, here or on another replica) carries on.
 *
 * <p>The registry is the record of what was pushed: the rendered pack is reproducible, so when the
 * tag already holds the identical manifest (a redelivery, or a retry after a push whose answer was
 * lost) nothing is written. A different manifest annotated with the same build id is this build's
 * pack as an earlier release rendered it: published already. Any other manifest means the version is
 * taken, and nothing is overwritten.
 *
 * <p>Palette's OCI pack registry flows expect the base repository
 * {@code <base content path>/spectro-packs/archive} besides each pack's repository below it; the
 * publisher sees to it once per process, before the first pack ({@link #ensureBaseRepository()}).
 */
@ApplicationScoped
public class PackPublisher {

    public static final String PACK_REPOSITORY_SEGMENT = "spectro-packs/archive";
    /** The tag of the empty artifact that creates the base repository: {@code oras push}'s default tag. */
    public static final String BASE_REPOSITORY_TAG = "latest";
    public static final String VERSION_CONFLICT = "PACK_VERSION_CONFLICT";
    /** The pack name belongs to another team, which published it first. */
    public static final String NAME_TAKEN = "PACK_NAME_TAKEN";
    /** On every pack manifest: the build it was published for. */
    public static final String BUILD_ID_ANNOTATION = "byoos.dev/build-id";
    /** On pack manifests of artifacts with signed provenance: where its DSSE envelope is. */
    public static final String PROVENANCE_ANNOTATION = "byoos.dev/provenance";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Logger LOG = Logger.getLogger(PackPublisher.class);

    /**
     * @param reference      {@code host[:port]/<repository>:<version>}
     * @param manifestDigest the tagged manifest
     * @param osImageOverride what the pack hands Palette
     * @param pushed          false when the registry held this build's pack already (a redelivery)
     */
    public record Publication(String reference, String manifestDigest, String osImageOverride, boolean pushed) {
    }

    private final PublisherConfig config;
    private final OciRegistryClient registry;
    private final PackCatalog catalog;
    private final PackRenderer renderer;
    private final PackSigner signer;
    /**
     * Within a process, the check-then-push of one name:version runs once at a time, so one build
     * delivered twice here pushes and signs once; across replicas the catalog's claim decides.
     */
    private final Object[] tagLocks = Stream.generate(Object::new).limit(64).toArray();
    /** Set once the base repository was found or created: one registry per process, so once per process. */
    private final AtomicBoolean baseRepositoryReady = new AtomicBoolean();

    public PackPublisher(PublisherConfig config, OciRegistryClient registry, PackCatalog catalog,
            PackRenderer renderer, PackSigner signer) {
        this.config = config;
        this.signer = signer;
        this.registry = registry;
        this.catalog = catalog;
        this.renderer = renderer;
    }

    /**
     * One attempt; {@link PackPublishing} waits out the registry and the database around it.
     *
     * @throws UnpublishablePackException for a pack that cannot be rendered, a version conflict, or a
     *         record the catalog refuses
     * @throws RegistryException when the registry refuses the pack for good
     * @throws dev.byoos.pack.registry.RegistryUnavailableException while the registry cannot be used
     * @throws PackCatalog.CatalogUnavailableException while the catalog's database cannot be used
     */
    @WithSpan
    public Publication publish(ArtifactStored artifact) {
        String buildId = artifact.build().buildId();
        PackRenderer.RenderedPack pack = renderer.render(artifact);
        // Before anything is pushed: a name, and the repositories named after it, are one team's.
        if (!catalog.claim(artifact.build()).equals(artifact.build().team())) {
            throw new UnpublishablePackException(NAME_TAKEN, BuildFailed.SPEC, false, "pack name " + pack.name()
                    + " belongs to another team, which published it first; its repositories ("
                    + repositoryFor(pack.name()) + ", edge/" + pack.name() + ") are theirs: submit the spec with "
                    + "another spec.pack.name");
        }
        ensureBaseRepository();
        String repository = repositoryFor(pack.name());
        Map<String, String> annotations = new LinkedHashMap<>();
        annotations.put(BUILD_ID_ANNOTATION, buildId);
        annotations.put("byoos.dev/spec-digest", artifact.build().specDigest());
        annotations.put("byoos.dev/image-sha256", artifact.sha256());
        if (artifact.attestation() != null) {
            // The image's signed SLSA provenance (a DSSE envelope), beside the image in S3.
            annotations.put(PROVENANCE_ANNOTATION, "s3://" + artifact.attestation().bucket() + "/"
                    + artifact.attestation().key());
            annotations.put(PROVENANCE_ANNOTATION + "-sha256", artifact.attestation().sha256());
        }
        OciRegistryClient.Manifest manifest = OciRegistryClient.manifestFor(pack.fileName(), pack.archive(), annotations);
        String reference = registry.host() + "/" + repository + ":" + pack.version();

        PackCatalog.VersionClaim claim = catalog.claimVersion(artifact, pack.osImage(), reference, manifest.digest());
        if (!claim.buildId().equals(buildId) && !claim.manifestDigest().equals(manifest.digest())) {
            throw new UnpublishablePackException(VERSION_CONFLICT, BuildFailed.SPEC, false, "pack " + reference
                    + " belongs to build " + claim.buildId() + ", which claimed it first"
                    + (claim.published() ? " and published it (manifest " + claim.manifestDigest() + ")" : "")
                    + "; nothing was pushed; pack versions are immutable: submit the spec with a new spec.pack.version");
        }
        if (claim.revoked()) {
            // This build's version, revoked since it was published: a redelivery (a rewound group, a
            // replay) announces it again as it was and leaves the registry alone, so a version whose
            // tag the revocation removed is not tagged again.
            LOG.infof("build %s: %s was revoked; the registry is left as it is", buildId, reference);
            return new Publication(reference, claim.manifestDigest(), pack.osImage().reference(), false);
        }
        synchronized (tagLocks[Math.floorMod((repository + ":" + pack.version()).hashCode(), tagLocks.length)]) {
            return publish(artifact, pack, repository, manifest, reference, claim);
        }
    }

    private Publication publish(ArtifactStored artifact, PackRenderer.RenderedPack pack, String repository,
            OciRegistryClient.Manifest manifest, String reference, PackCatalog.VersionClaim claim) {
        String buildId = artifact.build().buildId();
        Optional<OciRegistryClient.Manifest> existing = ownTag(repository, pack.version(),
                "build " + buildId + "'s pack");
        String publishedDigest = manifest.digest();
        try {
            Optional<OciRegistryClient.Manifest> announced = claim.published()
                    ? manifest.spelledAs(claim.manifestDigest()) : Optional.empty();
            if (existing.isEmpty() && announced.isPresent()) {
                // Published and announced before; its tag is gone or unreadable since: the same bytes
                // again, never another spelling, so the tag keeps the digest the catalog announced.
                registry.pushExactly(repository, pack.version(), pack.archive(), announced.get());
                publishedDigest = announced.get().digest();
                LOG.infof("build %s: pushed %s again (%s)", buildId, reference, publishedDigest);
            } else if (existing.isEmpty()) {
                publishedDigest = registry.push(repository, pack.version(), pack.archive(), manifest).digest();
                LOG.infof("build %s: published %s (%s)", buildId, reference, publishedDigest);
            } else if (existing.get().digest().equals(manifest.digest())) {
                LOG.infof("build %s: %s already holds this pack; announcing it again", buildId, reference);
            } else if (buildId.equals(annotation(existing.get(), BUILD_ID_ANNOTATION))) {
                publishedDigest = existing.get().digest();
                LOG.infof("build %s: %s holds this build's pack in other bytes (an earlier release's rendering, or "
                        + "another spelling) (%s); announcing that one", buildId, reference, publishedDigest);
            } else {
                throw new UnpublishablePackException(VERSION_CONFLICT, BuildFailed.SPEC, false,
                        "pack " + reference + " already exists with different content (manifest "
                                + existing.get().digest() + ", another build or spec); pack versions are immutable: "
                                + "submit the spec with a new spec.pack.version");
            }
        } catch (UnpublishablePackException | RegistryException e) {
            // Nothing of this build is tagged: a later build of the version must not find it claimed.
            if (!claim.published()) {
                catalog.release(artifact.build());
            }
            throw e;
        }
        if (existing.isEmpty()) {
            sign(repository, publishedDigest);
        } else {
            signIfUnsigned(repository, publishedDigest);
        }
        // Also after finding the pack already there: a push whose catalog write failed is completed here.
        catalog.published(artifact, pack.osImage(), reference, publishedDigest);
        return new Publication(reference, publishedDigest, pack.osImage().reference(), existing.isEmpty());
    }

    /**
     * The manifest a tag this build owns names, if any: its claimed version's tag (no other build
     * tags it) or its pack's signature tag. A tag the registry cannot read there is this build's own
     * push, which a registry stopping mid-write left unreadable; it counts as absent and is pushed
     * over (waiting would wait for good: the registry does not mend it).
     *
     * @param pushing what is pushed over an unreadable tag, for the log
     */
    private Optional<OciRegistryClient.Manifest> ownTag(String repository, String tag, String pushing) {
        try {
            return registry.manifest(repository, tag);
        } catch (UnreadableManifestException e) {
            LOG.warnf("%s; pushing %s over it", e.getMessage(), pushing);
            return Optional.empty();
        }
    }

    /**
     * Makes sure the base repository exists, as Palette's guides for adding a pack to an OCI registry
     * have it before any pack ("Add a Pack to a Basic OCI Registry": {@code oras push} of an empty
     * artifact to it; "Add a Pack to an ECR Registry": {@code aws ecr create-repository}). A
     * repository that lists its tags is left as it is, whatever it holds (an ECR repository created
     * empty, an operator's own push); otherwise the empty artifact is tagged
     * {@value #BASE_REPOSITORY_TAG}, which creates it where the registry creates repositories on push.
     * Where it does not, the push fails with {@link dev.byoos.pack.registry.RepositoryMissingException}
     * before any version is claimed. Two threads may both look the first time: both would push the
     * same manifest.
     */
    private void ensureBaseRepository() {
        if (baseRepositoryReady.get()) {
            return;
        }
        String repository = baseRepository();
        if (!registry.repositoryExists(repository)) {
            registry.pushEmptyArtifact(repository, BASE_REPOSITORY_TAG);
            LOG.infof("created the base repository %s/%s:%s Palette's pack registry expects", registry.host(),
                    repository, BASE_REPOSITORY_TAG);
        }
        baseRepositoryReady.set(true);
    }

    /**
     * Tags the manifest's cosign signature beside it, unless one is there already (ECDSA signatures
     * differ each time: a redelivery keeps the first, which any key still listed verifies). Used
     * where the pack's tag was found in place: an earlier attempt pushed it, and may or may not
     * have signed it before it stopped.
     */
    private void signIfUnsigned(String repository, String manifestDigest) {
        String signatureTag = PackSigner.signatureTag(manifestDigest);
        if (ownTag(repository, signatureTag, "the signature of " + manifestDigest).isEmpty()) {
            sign(repository, manifestDigest);
        }
    }

    /**
     * Tags the manifest's cosign signature beside it without looking first: used right after this
     * attempt tagged the pack itself, where the look would find nothing but in a rare race (another
     * replica publishing the same build at the same moment, or an earlier attempt's signature whose
     * pack tag was removed since). Then this signature replaces that one: both are the
     * installation's signatures of the same manifest, and either verifies.
     */
    private void sign(String repository, String manifestDigest) {
        PackSigner.Signature signature = signer.sign(registry.host() + "/" + repository, manifestDigest);
        registry.push(repository, PackSigner.signatureTag(manifestDigest), signature.payload(), signature.manifest());
    }

    /** @return the manifest's annotation, or null when it has none or is no JSON object */
    private static String annotation(OciRegistryClient.Manifest manifest, String name) {
        try {
            JsonNode value = JSON.readTree(manifest.bytes()).path("annotations").path(name);
            return value.isTextual() ? value.asText() : null;
        } catch (IOException e) {
            return null;
        }
    }

    String repositoryFor(String packName) {
        return baseRepository() + "/" + packName;
    }

    /** {@code <base-path>/spectro-packs/archive}: the namespace Palette expects every pack repository in. */
    String baseRepository() {
        String base = config.registry().basePath().replaceAll("^/+|/+$", "");
        return (base.isEmpty() ? "" : base + "/") + PACK_REPOSITORY_SEGMENT;
    }
}
