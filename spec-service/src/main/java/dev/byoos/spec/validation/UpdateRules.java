package dev.byoos.spec.validation;

import java.util.List;

import dev.byoos.spec.model.ImageSpec;

/**
 * The rules of {@code /spec/updates}: a watched base must be one the watcher can observe (a
 * debootstrap mirror's Release file), and a rebuild the factory starts itself needs a pack
 * version policy to number it. Said at intake, so nobody learns it when a change is found.
 */
final class UpdateRules implements SpecRule {

    private static final String AT = "/spec/updates";

    @Override
    public void check(SpecDocument spec, Violations violations) {
        String base = spec.text(AT + "/base");
        if (watched(base)) {
            List<String> kinds = spec.fieldNames("/spec/os/base");
            if (kinds.size() == 1 && !kinds.get(0).equals("debootstrap")) {
                violations.add(AT + "/base", Violation.NOT_ALLOWED, "only debootstrap bases are watched (their "
                        + "mirror's Release file); a " + kinds.get(0) + " base has nothing to watch: use none");
            }
        }
        // An unreadable policy is refused at its own pointer; it numbers nothing either.
        boolean policy = spec.text("/spec/pack/versionPolicy") != null;
        for (String input : List.of("base", "kubernetesPatches")) {
            if (ImageSpec.Updates.REBUILD.equals(spec.text(AT + "/" + input)) && !policy) {
                violations.add(AT + "/" + input, Violation.NOT_ALLOWED, "rebuild needs spec.pack.versionPolicy "
                        + "(patch or minor) to number the rebuilt pack; set one, or use notify");
            }
        }
    }

    private static boolean watched(String value) {
        return ImageSpec.Updates.NOTIFY.equals(value) || ImageSpec.Updates.REBUILD.equals(value);
    }
}
