package io.github.libvirthooks.features.domain;

/** The domain XML is malformed, hostile or lacks what we need; the message is one line. */
public class DomainXmlException extends RuntimeException {
    public DomainXmlException(String message) {
        super(message);
    }

    public DomainXmlException(String message, Throwable cause) {
        super(message, cause);
    }
}
