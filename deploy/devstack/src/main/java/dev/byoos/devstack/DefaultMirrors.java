package dev.byoos.devstack;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

import dev.byoos.contract.AptSources;

/**
 * The default mirror spec-service bootstraps Debian or Ubuntu specs without a base from
 * ({@code byoos.spec.default-mirrors.<distribution>}), taken from this machine: the first archive
 * its apt sources name for its own release ({@code /etc/os-release}'s ID and VERSION_CODENAME).
 * So the factory writes no mirror into its code, and the stack uses the mirror this machine was
 * set up with, which the workers' mirror allow-list (its apt sources' hosts) accepts too. Only
 * the machine's own distribution gets one; specs of the other must name a base.
 */
final class DefaultMirrors {

    private DefaultMirrors() {
    }

    /** The spec-service environment for this machine's default mirror; empty when it has none. */
    static Map<String, String> environment() {
        return environment(Path.of("/etc/os-release"), Path.of("/etc/apt"));
    }

    static Map<String, String> environment(Path osRelease, Path aptDirectory) {
        Optional<String> id = osReleaseValue(osRelease, "ID");
        Optional<String> codename = osReleaseValue(osRelease, "VERSION_CODENAME");
        if (id.isEmpty() || codename.isEmpty() || !List.of("debian", "ubuntu").contains(id.get())) {
            return Map.of();
        }
        return AptSources.archive(aptDirectory, codename.get())
                .map(mirror -> Map.of("BYOOS_SPEC_DEFAULT_MIRRORS_" + id.get().toUpperCase(Locale.ROOT), mirror))
                .orElse(Map.of());
    }

    private static Optional<String> osReleaseValue(Path osRelease, String key) {
        if (!Files.isRegularFile(osRelease)) {
            return Optional.empty();
        }
        try {
            return Files.readAllLines(osRelease).stream().filter(line -> line.startsWith(key + "="))
                    .map(line -> line.substring(key.length() + 1).replace("\"", "").strip())
                    .filter(value -> !value.isEmpty()).findFirst();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
