package dev.byoos.worker.builder.format;

import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.stream.Collectors;

import dev.byoos.worker.builder.core.BuildException;

/** The formats the native builder writes, by the name build requests use. */
public final class ImageFormats {

    private static final Map<String, ImageFormat> FORMATS = List.of(new Qcow2Format(), new RawFormat(),
            new VhdFormat(), new OvaFormat(), new GcpTarFormat(), new RootTarballFormat(), new OciImageFormat())
            .stream().collect(Collectors.toUnmodifiableMap(ImageFormat::name, Function.identity()));

    private ImageFormats() {
    }

    public static boolean isBuildable(String name) {
        return FORMATS.containsKey(name);
    }

    /**
     * @throws BuildException BAD_INPUT FORMAT_NOT_BUILDABLE for any format this builder does not write
     */
    public static ImageFormat forName(String name) {
        ImageFormat format = FORMATS.get(name);
        if (format != null) {
            return format;
        }
        throw new BuildException(BuildException.Kind.BAD_INPUT, "FORMAT_NOT_BUILDABLE",
                "the native builder does not know the format '" + name + "'; it writes "
                        + String.join(", ", new TreeSet<>(FORMATS.keySet())), null);
    }
}
