package dev.byoos.spec.repository;

import java.io.Serializable;
import java.time.OffsetDateTime;
import java.util.UUID;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.EnumType;
import jakarta.persistence.Enumerated;
import jakarta.persistence.Id;
import jakarta.persistence.IdClass;
import jakarta.persistence.Table;

import io.quarkus.hibernate.reactive.panache.PanacheEntityBase;

import dev.byoos.spec.BuildState;

/**
 * When a build entered a state. Written by the database (trigger {@code build_changed}) whenever any
 * writer changes a build's state, so no code path can forget it; read-only here.
 */
@Entity
@Table(name = "build_transition")
@IdClass(BuildTransitionEntity.Key.class)
public class BuildTransitionEntity extends PanacheEntityBase {

    @Id
    @Column(name = "build_id")
    public UUID buildId;
    @Id
    @Enumerated(EnumType.STRING)
    public BuildState state;
    @Column(name = "entered_at")
    public OffsetDateTime enteredAt;

    public record Key(UUID buildId, BuildState state) implements Serializable {
    }
}
