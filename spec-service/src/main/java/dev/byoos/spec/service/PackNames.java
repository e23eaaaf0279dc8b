package dev.byoos.spec.service;

import java.util.List;

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
     * @param owner the name's owner after {@code team}'s claim ({@link IntakeRows#claimAndReadHistory})
     * @throws PackNameTakenException when another team owns the name
     */
    static void requireOwner(String team, String name, String owner) {
        if (!owner.equals(team)) {
            throw new PackNameTakenException(List.of(new Violation("/spec/pack/name", Violation.PACK_NAME_TAKEN,
                    "pack name '" + name + "' (and its Edge image repository) belongs to another team, which "
                            + "published under it first; choose another pack name")));
        }
    }
}
