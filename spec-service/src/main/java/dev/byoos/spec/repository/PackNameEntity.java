package dev.byoos.spec.repository;

import java.time.OffsetDateTime;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

import io.quarkus.hibernate.reactive.panache.PanacheEntityBase;

/** A pack name and the team that claimed it first (written by {@code PackNames} with plain SQL, read by id). */
@Entity
@Table(name = "pack_name")
public class PackNameEntity extends PanacheEntityBase {

    @Id
    public String name;
    public String team;
    @Column(name = "claimed_at")
    public OffsetDateTime claimedAt;
}
