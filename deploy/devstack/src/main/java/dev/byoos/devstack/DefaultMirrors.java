package dev.byoos.devstack;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

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
        return mirror(aptDirectory, codename.get())
                .map(mirror -> Map.of("BYOOS_SPEC_DEFAULT_MIRRORS_" + id.get().toUpperCase(Locale.ROOT), mirror))
                .orElse(Map.of());
    }

    /** The first http(s) URI of an apt source whose suites include {@code codename} itself. */
    static Optional<String> mirror(Path aptDirectory, String codename) {
        for (Path file : sourceFiles(aptDirectory)) {
            for (Source source : sources(file)) {
                if (source.suites().contains(codename)) {
                    Optional<String> uri = source.uris().stream()
                            .filter(u -> u.toLowerCase(Locale.ROOT).matches("https?://[^/\\s]+.*")).findFirst();
                    if (uri.isPresent()) {
                        return Optional.of(uri.get().replaceAll("/+$", ""));
                    }
                }
            }
        }
        return Optional.empty();
    }

    private record Source(List<String> uris, List<String> suites) {
    }

    private static List<Path> sourceFiles(Path aptDirectory) {
        List<Path> files = new ArrayList<>(List.of(aptDirectory.resolve("sources.list")));
        Path parts = aptDirectory.resolve("sources.list.d");
        if (Files.isDirectory(parts)) {
            try (Stream<Path> listed = Files.list(parts)) {
                listed.filter(f -> f.toString().endsWith(".list") || f.toString().endsWith(".sources")).sorted()
                        .forEach(files::add);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return files.stream().filter(Files::isRegularFile).toList();
    }

    /** One-line entries ({@code deb [options] URI suite components}) and deb822 stanzas (URIs:, Suites:). */
    private static List<Source> sources(Path file) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        List<Source> sources = new ArrayList<>();
        List<String> uris = new ArrayList<>();
        List<String> suites = new ArrayList<>();
        for (String line : lines) {
            String content = line.strip();
            if (content.isEmpty() && !uris.isEmpty()) {
                sources.add(new Source(List.copyOf(uris), List.copyOf(suites)));
                uris.clear();
                suites.clear();
            } else if (content.startsWith("deb ")) {
                String[] words = content.replaceFirst("^deb\\s+(\\[[^]]*]\\s+)?", "").split("\\s+");
                if (words.length >= 2) {
                    sources.add(new Source(List.of(words[0]), List.of(words[1])));
                }
            } else if (content.regionMatches(true, 0, "URIs:", 0, 5)) {
                uris.addAll(List.of(content.substring(5).strip().split("\\s+")));
            } else if (content.regionMatches(true, 0, "Suites:", 0, 7)) {
                suites.addAll(List.of(content.substring(7).strip().split("\\s+")));
            }
        }
        if (!uris.isEmpty()) {
            sources.add(new Source(List.copyOf(uris), List.copyOf(suites)));
        }
        return sources;
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
