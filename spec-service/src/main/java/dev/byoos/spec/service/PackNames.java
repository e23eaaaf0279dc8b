package dev.byoos.spec.service;

import java.util.List;

import io.quarkus.hibernate.reactive.panache.Panache;
import io.smallrye.mutiny.Uni;

import dev.byoos.spec.repository.PackNameEntity;
import dev.byoos.spec.validation.Violation;

/**
 * A pack name, and the Edge image repository named after it ({@code edge/<name>}), belongs to the
 * team that used it first: otherwise another team's spec could publish into that team's pack or
 * overwrite its Edge images. The first use claims the name in the same transaction that stores
 * the spec, so of two teams racing for a name exactly one gets it.
 */
final class PackNames {

    private PackNames() {
    }

    /**
     * Inside a transaction: claims {@code name} for {@code team}, or confirms the team's claim.
     *
     * @throws PackNameTakenException (as the Uni's failure) when another team owns the name
     */
    static Uni<Void> claim(String team, String name) {
        // ON CONFLICT waits for a competing claim to commit, so the select then sees the winner.
        return Panache.getSession().flatMap(session -> session
                .createNativeQuery("insert into pack_name (name, team, claimed_at) values (:name, :team, now()) "
                        + "on conflict (name) do nothing")
                .setParameter("name", name).setParameter("team", team).executeUpdate()
                // Loaded as an entity: a native select of the team (String.class) missed the query
                // plan cache on every claim (Hibernate compares its implicit result class mapping by
                // identity) and added another entry, all under the SQL's hash.
                .flatMap(inserted -> session.find(PackNameEntity.class, name)))
                .flatMap(owner -> owner.team.equals(team) ? Uni.createFrom().voidItem()
                        : Uni.createFrom().failure(new PackNameTakenException(List.of(new Violation("/spec/pack/name",
                                Violation.PACK_NAME_TAKEN, "pack name '" + name + "' (and its Edge image repository) "
                                        + "belongs to another team, which published under it first; choose another "
                                        + "pack name")))));
    }
}
