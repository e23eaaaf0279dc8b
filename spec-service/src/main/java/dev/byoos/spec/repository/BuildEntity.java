package dev.byoos.spec.repository;

import java.time.OffsetDateTime;
import java.util.UUID;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.EnumType;
import jakarta.persistence.Enumerated;
import jakarta.persistence.FetchType;
import jakarta.persistence.Id;
import jakarta.persistence.JoinColumn;
import jakarta.persistence.ManyToOne;
import jakarta.persistence.Table;

import io.quarkus.hibernate.reactive.panache.PanacheEntityBase;

import dev.byoos.spec.service.BuildState;

/** The read model of one build (one target of one spec version) across every stage. */
@Entity
@Table(name = "build")
public class BuildEntity extends PanacheEntityBase {

    @Id
    public UUID id;
    @ManyToOne(fetch = FetchType.LAZY, optional = false)
    @JoinColumn(name = "spec_id")
    public SpecEntity spec;
    public String team;
    @Column(name = "target_cloud")
    public String targetCloud;
    @Column(name = "target_format")
    public String targetFormat;
    /** 1 for the first build of a target; a resubmitted identical spec retries a failed target as attempt n+1. */
    public int attempt;
    @Enumerated(EnumType.STRING)
    public BuildState state;
    @Column(name = "artifact_uri")
    public String artifactUri;
    @Column(name = "artifact_sha256")
    public String artifactSha256;
    @Column(name = "artifact_size")
    public Long artifactSize;
    @Column(name = "pack_reference")
    public String packReference;
    @Column(name = "failure_stage")
    public String failureStage;
    @Column(name = "failure_code")
    public String failureCode;
    @Column(name = "failure_reason")
    public String failureReason;
    /** For REUSED builds: the published build whose artifact and pack this build points at. */
    @Column(name = "reused_from")
    public UUID reusedFrom;
    @Column(name = "cancelled_by")
    public String cancelledBy;
    @Column(name = "created_at")
    public OffsetDateTime createdAt;
    @Column(name = "updated_at")
    public OffsetDateTime updatedAt;
}
