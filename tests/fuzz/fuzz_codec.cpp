// libFuzzer target for the envelope decoder: whatever decode() accepts must re-encode to valid
// UTF-8 that decodes to the same message and re-encodes to the same bytes.
#include "shared/codec.h"

#include <cstdint>
#include <cstdio>
#include <cstdlib>

namespace {

[[noreturn]] void die(const char *what, const QByteArray &detail)
{
    std::fprintf(stderr, "fuzz_codec: %s\n%s\n", what, detail.constData());
    std::abort();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    using namespace qedge;
    const QByteArrayView input(reinterpret_cast<const char *>(data), qsizetype(size));
    const Result<Message> first = codec::decode(input, DecodeLimits{1024 * 1024, 64});
    if (!first.ok()) {
        if (first.errorMessage().isEmpty() || first.error().code.isEmpty())
            die("failure without an error message", QByteArray());
        return 0;
    }

    const QByteArray wire = codec::encode(first.value());
    if (!wire.endsWith('\n'))
        die("encoded frame lacks the trailing newline", wire);
    if (QString::fromUtf8(wire).toUtf8() != wire)
        die("encoded frame is not valid UTF-8", wire);

    const Result<Message> second = codec::decode(wire, DecodeLimits{64 * 1024 * 1024, 64});
    if (!second.ok())
        die(qPrintable(QStringLiteral("re-encoded frame does not decode: ") + second.errorMessage()), wire);

    Message expected = first.value();
    expected.header().sync = false; // never sent on the wire
    if (!(second->header() == expected.header()) || !(second->route() == expected.route()))
        die("header or route changed across encode/decode", wire);
    if (codec::encode(second.value()) != wire)
        die("second encoding differs from the first", wire);
    return 0;
}
