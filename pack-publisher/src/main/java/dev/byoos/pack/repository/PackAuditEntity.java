package dev.byoos.pack.repository;

import java.time.OffsetDateTime;
import java.util.UUID;

import jakarta.persistence.Entity;
import jakarta.persistence.FetchType;
import jakarta.persistence.Id;
import jakarta.persistence.JoinColumn;
import jakarta.persistence.ManyToOne;
import jakarta.persistence.Table;

import io.quarkus.hibernate.reactive.panache.PanacheEntityBase;

/** One lifecycle action on a pack version (deprecated, revoked): who, when, why. Never updated. */
@Entity
@Table(name = "pack_audit")
public class PackAuditEntity extends PanacheEntityBase {

    @Id
    public UUID id;
    @ManyToOne(fetch = FetchType.LAZY, optional = false)
    @JoinColumn(name = "pack_id")
    public PackEntity pack;
    public String version;
    public String action;
    public String reason;
    public String actor;
    public OffsetDateTime at;
}
