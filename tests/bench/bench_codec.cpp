// Throughput of the envelope codec: encode and decode of pod-like object contents.
// Prints the median of 5 runs; QJsonDocument parsing the same frames is shown for scale.
#include "shared/codec.h"

#include <QElapsedTimer>
#include <QJsonDocument>
#include <QJsonObject>

#include <algorithm>
#include <cstdio>
#include <functional>
#include <vector>

using namespace qedge;

namespace {

// A Kubernetes-like object of about `target` bytes, with escapes, numbers and nesting.
QByteArray makeContent(qsizetype target)
{
    QByteArray c =
        R"({"kind":"ConfigMap","apiVersion":"v1","metadata":{"name":"bench","namespace":"default",)"
        R"("uid":"3f1e2d4c-5b6a-4798-8a7b-6c5d4e3f2a1b","resourceVersion":"81234",)"
        R"("labels":{"app":"bench","tier":"edge"}},"data":{"items":[)";
    for (int i = 0; c.size() < target - 60; ++i) {
        if (i > 0)
            c += ',';
        c += R"({"name":"item-)" + QByteArray::number(i) + R"(","value":)" + QByteArray::number(i * 37) +
             R"(,"ratio":0.)" + QByteArray::number(i % 1000) +
             R"(,"ok":true,"text":"line \"quoted\" <b>&amp;</b> caf\u00e9"})";
    }
    c += "]}}";
    return c;
}

// Seconds per call, median of 5 runs of `iterations` calls.
double medianSeconds(int iterations, const std::function<void()> &body)
{
    std::vector<double> runs;
    for (int r = 0; r < 5; ++r) {
        QElapsedTimer t;
        t.start();
        for (int i = 0; i < iterations; ++i)
            body();
        runs.push_back(double(t.nsecsElapsed()) / 1e9 / iterations);
    }
    std::sort(runs.begin(), runs.end());
    return runs[2];
}

void row(const char *what, qsizetype contentSize, qsizetype frameSize, double seconds)
{
    std::printf("| %-22s | %7.1f KiB | %9.1f | %10.0f |\n", what, double(contentSize) / 1024.0,
                double(frameSize) / seconds / (1024.0 * 1024.0), 1.0 / seconds);
}

} // namespace

int main()
{
    std::printf("| %-22s | %11s | %9s | %10s |\n", "operation", "content", "MiB/s", "msgs/s");
    std::printf("|%s|%s|%s|%s|\n", "------------------------", "-------------", "-----------",
                "------------");
    volatile qsizetype sink = 0;
    for (const qsizetype size : {qsizetype(1024), qsizetype(64 * 1024)}) {
        Message m = Message::create(QStringLiteral("edgecontroller"), QStringLiteral("resource"), op::Update,
                                    QStringLiteral("default/configmap/bench"), makeContent(size));
        m.setResourceVersion(QStringLiteral("81234"));
        const QByteArray wire = codec::encode(m);
        if (!codec::decode(wire).ok()) {
            std::fprintf(stderr, "bench frame does not decode\n");
            return 1;
        }
        // About 50 MiB of frames per run keeps each figure stable and the whole run short.
        const int iterations = int(std::max<qsizetype>(20, 50 * 1024 * 1024 / wire.size()));
        const qsizetype contentSize = m.rawContent().size();

        row("encode", contentSize, wire.size(),
            medianSeconds(iterations, [&] { sink = sink + codec::encode(m).size(); }));
        row("decode", contentSize, wire.size(),
            medianSeconds(iterations, [&] { sink = sink + codec::decode(wire)->rawContent().size(); }));
        row("QJsonDocument::fromJson", contentSize, wire.size(),
            medianSeconds(iterations, [&] { sink = sink + QJsonDocument::fromJson(wire).object().size(); }));
    }
    return sink == 42 ? 1 : 0;
}
