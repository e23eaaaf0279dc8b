package dev.byoos.artifact.service;

import dev.byoos.artifact.repository.ArtifactEntity;
import dev.byoos.contract.ArtifactStored;
import dev.byoos.contract.BuildCompleted;

/** A recorded artifact as {@code artifact.stored} announces it: the same event however often it is announced. */
final class ArtifactAnnouncements {

    private ArtifactAnnouncements() {
    }

    static ArtifactStored of(BuildCompleted event, ArtifactEntity artifact) {
        return new ArtifactStored(event.build(), artifact.bucket, artifact.objectKey,
                artifact.uri(), artifact.sha256, artifact.size, artifact.format,
                storedObject(artifact.bucket, artifact.sbomKey, artifact.sbomSha256, artifact.sbomSize),
                storedObject(artifact.bucket, artifact.logKey, artifact.logSha256, artifact.logSize),
                artifact.signatureValue == null ? null
                        : new ArtifactStored.Signature(artifact.signatureFormat, artifact.signatureKeyId,
                                artifact.signatureValue),
                artifact.cloudImages.stream()
                        .map(image -> new BuildCompleted.CloudImage(image.cloud(), image.region(), image.id()))
                        .toList(),
                artifact.ociImageReference == null ? null
                        : new BuildCompleted.OciImage(artifact.ociImageReference, artifact.ociImageDigest),
                event.provenance(),
                storedObject(artifact.bucket, artifact.attestationKey, artifact.attestationSha256,
                        artifact.attestationSize));
    }

    private static ArtifactStored.StoredObject storedObject(String bucket, String key, String sha256, Long size) {
        return key == null ? null : new ArtifactStored.StoredObject(bucket, key, sha256, size);
    }
}
