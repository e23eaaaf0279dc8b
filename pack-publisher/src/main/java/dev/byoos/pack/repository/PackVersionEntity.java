package dev.byoos.pack.repository;

import java.time.OffsetDateTime;
import java.util.List;
import java.util.UUID;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.FetchType;
import jakarta.persistence.Id;
import jakarta.persistence.JoinColumn;
import jakarta.persistence.ManyToOne;
import jakarta.persistence.Table;

import io.quarkus.hibernate.reactive.panache.PanacheEntityBase;
import io.smallrye.mutiny.Uni;

/** One published pack version and its lineage: pack → artifact (sha256) → build → spec. */
@Entity
@Table(name = "pack_version")
public class PackVersionEntity extends PanacheEntityBase {

    @Id
    public UUID id;
    @ManyToOne(fetch = FetchType.LAZY, optional = false)
    @JoinColumn(name = "pack_id")
    public PackEntity pack;
    public String version;
    public String reference;
    @Column(name = "manifest_digest")
    public String manifestDigest;
    @Column(name = "pack_kind")
    public String packKind;
    @Column(name = "cloud_type")
    public String cloudType;
    @Column(name = "os_image_override")
    public String osImageOverride;
    @Column(name = "os_name")
    public String osName;
    @Column(name = "os_version")
    public String osVersion;
    @Column(name = "kubernetes_version")
    public String kubernetesVersion;

    @Column(name = "artifact_sha256")
    public String artifactSha256;
    @Column(name = "artifact_uri")
    public String artifactUri;
    @Column(name = "artifact_size")
    public long artifactSize;
    @Column(name = "artifact_format")
    public String artifactFormat;
    @Column(name = "signature_key_id")
    public String signatureKeyId;
    @Column(name = "sbom_uri")
    public String sbomUri;

    @Column(name = "build_id")
    public String buildId;
    @Column(name = "target_cloud")
    public String targetCloud;

    @Column(name = "spec_team")
    public String specTeam;
    @Column(name = "spec_name")
    public String specName;
    @Column(name = "spec_version")
    public int specVersion;
    @Column(name = "spec_digest")
    public String specDigest;

    @Column(name = "claimed_at")
    public OffsetDateTime claimedAt;
    /** Null while the version is only claimed: its build has not pushed it yet. */
    @Column(name = "published_at")
    public OffsetDateTime publishedAt;

    /** Set once, when a submitter of the team deprecated the version; null otherwise. */
    @Column(name = "deprecated_at")
    public OffsetDateTime deprecatedAt;
    @Column(name = "deprecated_by")
    public String deprecatedBy;
    @Column(name = "deprecation_reason")
    public String deprecationReason;
    /** Set once, when an administrator revoked the version; never cleared. */
    @Column(name = "revoked_at")
    public OffsetDateTime revokedAt;
    @Column(name = "revoked_by")
    public String revokedBy;
    @Column(name = "revocation_reason")
    public String revocationReason;

    /** The pack's published versions, oldest first. */
    public static Uni<List<PackVersionEntity>> listPublished(PackEntity pack) {
        return list("pack = ?1 and publishedAt is not null order by publishedAt, version", pack);
    }

    public static Uni<PackVersionEntity> findPublished(PackEntity pack, String version) {
        return find("pack = ?1 and version = ?2 and publishedAt is not null", pack, version).firstResult();
    }
}
