package dev.byoos.spec.validation;

import jakarta.enterprise.context.ApplicationScoped;

import dev.byoos.spec.model.ImageSpec;

/** The one way a submitted document becomes an accepted spec, whichever door it came through. */
@ApplicationScoped
public class SpecReader {

    private final SpecParser parser;
    private final SpecValidator validator;

    public SpecReader(SpecParser parser, SpecValidator validator) {
        this.parser = parser;
        this.validator = validator;
    }

    /** @throws SpecRejectedException with every violation when the document is not an acceptable spec */
    public ImageSpec read(byte[] document, SpecParser.Format format) {
        return validator.validate(parser.parse(document, format));
    }
}
