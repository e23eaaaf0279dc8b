package dev.byoos.artifact.rest;

import java.time.OffsetDateTime;
import java.util.List;

import com.fasterxml.jackson.annotation.JsonInclude;

import dev.byoos.artifact.repository.ArtifactEntity;

/** One build's artifact as the API shows it: the image, what came with it, how it was made, its signature. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ArtifactView(String buildId, String team, Spec spec, Os os, String kubernetesVersion, Target target,
        String sha256, long size, String format, String uri, StoredFile sbom, StoredFile log, Provenance provenance,
        Signature signature, List<ArtifactEntity.CloudImage> cloudImages, OciImage ociImage, OffsetDateTime createdAt,
        Links links) {

    public record Spec(String name, int version, String digest) {
    }

    public record Os(String name, String version) {
    }

    public record Target(String cloud, String format) {
    }

    /** An SBOM or build log, stored under its own content address. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record StoredFile(String sha256, long size, String format, String uri) {
    }

    public record Provenance(String builder, String builderVersion, OffsetDateTime startedAt, OffsetDateTime finishedAt,
            List<ArtifactEntity.Input> inputs) {
    }

    /** @param format {@code cosign-blob}: base64 of the DER ECDSA-SHA256 signature over the image's bytes */
    public record Signature(String format, String keyId, String value) {
    }

    public record OciImage(String reference, String digest) {
    }

    /** Where to go next; the SBOM and log links name this build. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Links(String self, String download, String verification, String sbom, String log) {
    }

    static ArtifactView of(ArtifactEntity artifact) {
        String self = ArtifactResource.PATH + "/" + artifact.sha256;
        String build = "?build=" + artifact.buildId;
        return new ArtifactView(artifact.buildId.toString(), artifact.team,
                new Spec(artifact.specName, artifact.specVersion, artifact.specDigest),
                artifact.osName == null ? null : new Os(artifact.osName, artifact.osVersion),
                artifact.kubernetesVersion,
                new Target(artifact.targetCloud, artifact.targetFormat),
                artifact.sha256, artifact.size, artifact.format, artifact.uri(),
                artifact.sbomKey == null ? null
                        : new StoredFile(artifact.sbomSha256, artifact.sbomSize, artifact.sbomFormat,
                                "s3://" + artifact.bucket + "/" + artifact.sbomKey),
                artifact.logKey == null ? null
                        : new StoredFile(artifact.logSha256, artifact.logSize, null,
                                "s3://" + artifact.bucket + "/" + artifact.logKey),
                new Provenance(artifact.builder, artifact.builderVersion, artifact.buildStartedAt,
                        artifact.buildFinishedAt, artifact.inputs),
                artifact.signatureValue == null ? null
                        : new Signature(artifact.signatureFormat, artifact.signatureKeyId, artifact.signatureValue),
                artifact.cloudImages,
                artifact.ociImageReference == null ? null
                        : new OciImage(artifact.ociImageReference, artifact.ociImageDigest),
                artifact.createdAt,
                new Links(self, self + "/download", self + "/verification",
                        artifact.sbomKey == null ? null : self + "/sbom" + build,
                        artifact.logKey == null ? null : self + "/log" + build));
    }
}
