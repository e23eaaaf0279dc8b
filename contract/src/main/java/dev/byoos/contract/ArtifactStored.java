package dev.byoos.contract;

import static dev.byoos.contract.Require.notBlank;
import static dev.byoos.contract.Require.notNull;
import static dev.byoos.contract.Require.positive;
import static dev.byoos.contract.Require.sha256Hex;

import java.util.List;

/**
 * {@value EventTypes#ARTIFACT_STORED} on {@value Topics#ARTIFACTS_STORED}: the image's checksum was
 * verified and it now lives at its content-addressed key.
 *
 * <p>The fields after {@code format} were added after the first release and are optional.
 *
 * @param uri         {@code s3://bucket/key} of the stored image
 * @param sbom        the stored SBOM, if the build made one
 * @param log         the stored build log
 * @param signature   the signature over the image's sha256
 * @param cloudImages passed on from the build: images that live in a cloud
 * @param ociImage    passed on from the build: the Edge OS image in the registry
 * @param provenance  passed on from the build: how the image was made (pack-publisher puts it in the
 *                    pack's README)
 * @param attestation (added later) the signed provenance: a DSSE envelope holding an in-toto
 *                    statement with the SLSA provenance v1 predicate, stored beside the image
 */
public record ArtifactStored(BuildCoordinates build, String bucket, String key, String uri, String sha256,
        long size, String format, StoredObject sbom, StoredObject log, Signature signature,
        List<BuildCompleted.CloudImage> cloudImages, BuildCompleted.OciImage ociImage,
        BuildCompleted.Provenance provenance, StoredObject attestation) {

    /** Without an attestation (artifacts stored before provenance was signed). */
    public ArtifactStored(BuildCoordinates build, String bucket, String key, String uri, String sha256,
            long size, String format, StoredObject sbom, StoredObject log, Signature signature,
            List<BuildCompleted.CloudImage> cloudImages, BuildCompleted.OciImage ociImage,
            BuildCompleted.Provenance provenance) {
        this(build, bucket, key, uri, sha256, size, format, sbom, log, signature, cloudImages, ociImage, provenance,
                null);
    }

    public ArtifactStored(BuildCoordinates build, String bucket, String key, String uri, String sha256,
            long size, String format) {
        this(build, bucket, key, uri, sha256, size, format, null, null, null, null, null, null);
    }

    /** Without provenance (a build that reported none). */
    public ArtifactStored(BuildCoordinates build, String bucket, String key, String uri, String sha256,
            long size, String format, StoredObject sbom, StoredObject log, Signature signature,
            List<BuildCompleted.CloudImage> cloudImages, BuildCompleted.OciImage ociImage) {
        this(build, bucket, key, uri, sha256, size, format, sbom, log, signature, cloudImages, ociImage, null);
    }

    /** An object artifact-service stored beside the image. */
    public record StoredObject(String bucket, String key, String sha256, long size) {
        public StoredObject {
            notBlank(bucket, "bucket");
            notBlank(key, "key");
            sha256Hex(sha256, "sha256");
            positive(size, "size");
        }
    }

    /**
     * @param format e.g. {@code cosign-blob}: a base64 ASN.1 ECDSA signature, verifiable offline
     * @param keyId  identifies the signing key (sha256 of its public key)
     * @param value  the signature, encoded as {@code format} says
     */
    public record Signature(String format, String keyId, String value) {
        public Signature {
            notBlank(format, "signature.format");
            notBlank(keyId, "signature.keyId");
            notBlank(value, "signature.value");
        }
    }

    public ArtifactStored {
        notNull(build, "build");
        notBlank(bucket, "bucket");
        notBlank(key, "key");
        notBlank(uri, "uri");
        sha256Hex(sha256, "sha256");
        positive(size, "size");
        notBlank(format, "format");
        cloudImages = cloudImages == null ? List.of() : List.copyOf(cloudImages);
    }
}
