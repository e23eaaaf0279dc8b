package dev.byoos.artifact.repository;

import java.time.OffsetDateTime;
import java.util.List;
import java.util.UUID;

import jakarta.persistence.Column;
import jakarta.persistence.Convert;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

import io.quarkus.hibernate.reactive.panache.PanacheEntityBase;
import io.smallrye.mutiny.Uni;

/**
 * A verified, content-addressed image and where it came from: one row per build. Builds that made
 * byte-identical images share one stored object (same {@code sha256}, same key).
 */
@Entity
@Table(name = "artifact")
public class ArtifactEntity extends PanacheEntityBase {

    @Id
    public UUID id;
    @Column(name = "build_id")
    public UUID buildId;
    public String team;
    @Column(name = "spec_name")
    public String specName;
    @Column(name = "spec_version")
    public int specVersion;
    @Column(name = "spec_digest")
    public String specDigest;
    @Column(name = "os_name")
    public String osName;
    @Column(name = "os_version")
    public String osVersion;
    @Column(name = "kubernetes_version")
    public String kubernetesVersion;
    @Column(name = "target_cloud")
    public String targetCloud;
    @Column(name = "target_format")
    public String targetFormat;
    /** The stored file's format as the builder reported it (for a cloud build, its manifest's). */
    public String format;
    public String sha256;
    @Column(name = "size_bytes")
    public long size;
    public String bucket;
    @Column(name = "object_key")
    public String objectKey;
    @Column(name = "staged_key")
    public String stagedKey;

    @Column(name = "sbom_key")
    public String sbomKey;
    @Column(name = "sbom_sha256")
    public String sbomSha256;
    @Column(name = "sbom_size")
    public Long sbomSize;
    @Column(name = "sbom_format")
    public String sbomFormat;
    @Column(name = "log_key")
    public String logKey;
    @Column(name = "log_sha256")
    public String logSha256;
    @Column(name = "log_size")
    public Long logSize;
    /** The signed provenance stored beside the image (null before provenance was signed). */
    @Column(name = "attestation_key")
    public String attestationKey;
    @Column(name = "attestation_sha256")
    public String attestationSha256;
    @Column(name = "attestation_size")
    public Long attestationSize;

    public String builder;
    @Column(name = "builder_version")
    public String builderVersion;
    @Column(name = "build_started_at")
    public OffsetDateTime buildStartedAt;
    @Column(name = "build_finished_at")
    public OffsetDateTime buildFinishedAt;
    @Convert(converter = JsonLists.Inputs.class)
    public List<Input> inputs = List.of();

    @Convert(converter = JsonLists.CloudImages.class)
    @Column(name = "cloud_images")
    public List<CloudImage> cloudImages = List.of();
    @Column(name = "oci_image_reference")
    public String ociImageReference;
    @Column(name = "oci_image_digest")
    public String ociImageDigest;

    @Column(name = "signature_format")
    public String signatureFormat;
    @Column(name = "signature_key_id")
    public String signatureKeyId;
    @Column(name = "signature_value")
    public String signatureValue;

    @Column(name = "created_at")
    public OffsetDateTime createdAt;

    /** Something the image was made from, with its sha256. */
    public record Input(String name, String sha256, String uri) {
    }

    /** An image that lives in a cloud (AMI per region, template path). */
    public record CloudImage(String cloud, String region, String id) {
    }

    public static Uni<ArtifactEntity> findByBuild(UUID buildId) {
        return find("buildId", buildId).firstResult();
    }

    public String uri() {
        return "s3://" + bucket + "/" + objectKey;
    }
}
