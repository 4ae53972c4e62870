"""Theme discovery against human codes, side by side with BERTopic in the same run, plus speed at 20,000 segments.

Human codes are the truth the clusters should recover (issue 5):

``annomi-therapist``  therapist utterances of AnnoMI, main therapist behaviour (4 codes)
``annomi-client``     client utterances of AnnoMI, client talk type (3 codes)
``esconv``            supporter turns of ESConv, support strategy (8 codes)
``demo``              every speaker turn of the illustrative demo corpus, its reference coding (20 codes)

Methods, all on the same embeddings (the packaged all-MiniLM-L6-v2, which is also BERTopic's default model, so
handing BERTopic the vectors only saves embedding them twice):

``theme_assist``                 :class:`~theme_assist.discover.ThemeDiscoverer` with its defaults, all segments
                                 (the sentence embeddings with the encoder's hidden layers -2, -3, -4 beside them)
``theme_assist (sentence embedding only)``  the same with ``hidden_layers=()``
``bertopic (defaults)``          ``BERTopic()``: UMAP (unseeded) + HDBSCAN(min_cluster_size=10) + c-TF-IDF
``bertopic (seeded, reduced)``   the same with ``UMAP(random_state=seed)`` and ``reduce_outliers(strategy=
                                 "embeddings")``, the fixes BERTopic's documentation gives for run-to-run changes
                                 and outliers

Metrics: NMI, AMI (NMI corrected for chance, which otherwise favours many small clusters) and ARI of the clusters
against the codes (BERTopic's outlier topic and our ``unclustered`` count as
one cluster each), outlier share, mean theme stability (ours only; resampling Jaccard), whether two runs with the
same seed give identical assignments and their ARI, and seconds per run after embedding. The speed case clusters
the first 20,000 utterances of AnnoMI + ESConv, and times HDBSCAN with and without the PCA reducer.

Run ``python evaluation/bench_discover.py`` (``--max-segments N`` subsamples every corpus the same way for all
methods; ``--no-bertopic`` skips it). Writes ``evaluation/results/discover.json`` and ``.md``. BERTopic is an
evaluation-only dependency (``pip install bertopic``).
"""

from __future__ import annotations

import argparse
import logging
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.metrics import adjusted_mutual_info_score, adjusted_rand_score, normalized_mutual_info_score

from theme_assist.benchmarks import load_benchmark
from theme_assist.discover import MINIMAL, AllSegments, ThemeDiscoverer
from theme_assist.embed import DEFAULT_HIDDEN_LAYERS, Embedder
from theme_assist.machine import render_results, write_results

RESULTS = Path(__file__).resolve().parent / "results"
DEMO = Path(__file__).resolve().parents[1] / "corpora" / "demo"
CORPORA = ("annomi-therapist", "annomi-client", "esconv", "demo")
SPEED_SEGMENTS = 20_000


def load_corpus(name: str) -> pd.DataFrame:
    """Coded segments (``segment_id``, ``document``, ``speaker``, ``text``, ``code``) of a corpus, reading order."""
    if name != "demo":
        return load_benchmark(name).coded.reset_index(drop=True)
    from theme_assist.inputs import read_segments

    segments = read_segments(DEMO / "transcripts", metadata=DEMO / "metadata.csv")
    reference = pd.read_csv(DEMO / "reference_coding.csv", dtype={"document": str})
    return segments.merge(reference[["document", "turn", "code"]], on=["document", "turn"], how="inner")


def subsample(segments: pd.DataFrame, max_segments: int | None, seed: int) -> pd.DataFrame:
    """At most ``max_segments`` rows, drawn with ``seed`` and kept in reading order (the same for every method)."""
    if not max_segments or len(segments) <= max_segments:
        return segments
    rows = np.sort(np.random.default_rng(seed).choice(len(segments), max_segments, replace=False))
    return segments.iloc[rows].reset_index(drop=True)


def scores(codes: pd.Series, clusters: np.ndarray, outlier) -> dict:
    """Agreement of ``clusters`` with the human ``codes``; ``outlier`` and theme_assist's minimal responses (set
    aside, not clustered) are one cluster each there, and neither is a theme."""
    clusters = np.asarray(clusters)
    return {"nmi": round(normalized_mutual_info_score(codes, clusters), 4),
            "ami": round(adjusted_mutual_info_score(codes, clusters), 4),
            "ari": round(adjusted_rand_score(codes, clusters), 4),
            "n_themes": int(len(set(clusters.tolist()) - {outlier, MINIMAL})),
            "outlier_share": round(float(np.mean(clusters == outlier)), 4),
            "minimal_share": round(float(np.mean(clusters == MINIMAL)), 4)}


def repeat(fit, n_runs: int = 2) -> tuple[list, list[float]]:
    """Results and seconds of ``n_runs`` calls of ``fit``."""
    results, seconds = [], []
    for _ in range(n_runs):
        started = time.perf_counter()
        results.append(fit())
        seconds.append(round(time.perf_counter() - started, 2))
    return results, seconds


def run_theme_assist(segments: pd.DataFrame, vectors: np.ndarray, embedder: Embedder, seed: int,
                     hidden_layers=DEFAULT_HIDDEN_LAYERS, keep_minimal: bool = False) -> dict:
    def fit():  # the embedder that made ``vectors`` also gives the hidden layers and ranks the label terms
        return ThemeDiscoverer(embedder=embedder, hidden_layers=hidden_layers, selector=AllSegments(),
                               keep_minimal=keep_minimal, random_state=seed).fit(segments, embeddings=vectors)

    (first, second), seconds = repeat(fit)
    themes = first.assignments_["theme"].to_numpy()
    sizes = first.themes_["size"].to_numpy()
    return {**scores(segments["code"], themes, "unclustered"),
            "stability_mean": round(float(first.themes_["stability"].mean()), 4),
            # a theme no resample drew has none (NaN): weighted over those that have one
            "stability_weighted": round(float(np.ma.average(np.ma.masked_invalid(first.themes_["stability"]),
                                                            weights=sizes)), 4),
            "identical_runs": first.to_json() == second.to_json(),
            "run_to_run_ari": round(adjusted_rand_score(themes, second.assignments_["theme"]), 4),
            "seconds": seconds, "clusterer": first.summary_["clusterer"], "min_size": first.summary_["min_size"]}


def run_bertopic(segments: pd.DataFrame, vectors: np.ndarray, seed: int, seeded: bool, n_runs: int) -> dict:
    """BERTopic's scores; unseeded BERTopic gives another result every run, so its scores are the mean over
    ``n_runs`` runs (``*_runs`` holds each run's), while the seeded variant runs twice."""
    from bertopic import BERTopic
    from umap import UMAP

    docs = segments["text"].tolist()

    def fit():
        if not seeded:
            model = BERTopic()
            return model.fit_transform(docs, embeddings=vectors)[0]
        umap_model = UMAP(n_neighbors=15, n_components=5, min_dist=0.0, metric="cosine", random_state=seed)
        model = BERTopic(umap_model=umap_model)
        topics = model.fit_transform(docs, embeddings=vectors)[0]
        return model.reduce_outliers(docs, topics, strategy="embeddings", embeddings=vectors)

    results, seconds = repeat(fit, 2 if seeded else max(2, n_runs))
    results = [np.asarray(topics) for topics in results]
    runs = pd.DataFrame([scores(segments["code"], topics, -1) for topics in results])
    means = runs.mean().round(4).to_dict()
    return {**means, "n_themes": int(round(means["n_themes"])), "nmi_sd": round(float(runs["nmi"].std()), 4),
            "nmi_runs": runs["nmi"].tolist(), "stability_mean": None, "stability_weighted": None,
            "identical_runs": bool(np.array_equal(results[0], results[1])),
            "run_to_run_ari": round(adjusted_rand_score(results[0], results[1]), 4), "seconds": seconds}


def speed_case(seed: int) -> dict:
    """ThemeDiscoverer on 20,000 utterances twice, and HDBSCAN with and without PCA on growing subsets."""
    from sklearn.cluster import HDBSCAN

    from theme_assist.discover.reduce import PCAReducer

    segments = pd.concat([load_benchmark("annomi-therapist").segments, load_benchmark("esconv").segments])
    segments = segments.head(SPEED_SEGMENTS).reset_index(drop=True)
    embedder = Embedder()
    # embedding, not clustering: the sentence embeddings and hidden layers are computed (one pass) before timing
    vectors, _ = embedder.encode_with_layers(segments["text"].tolist(), DEFAULT_HIDDEN_LAYERS)

    def fit():
        return ThemeDiscoverer(embedder=embedder, selector=AllSegments(), random_state=seed).fit(
            segments, embeddings=vectors)

    (first, second), seconds = repeat(fit)
    reducer = []
    for n in (2500, 5000, 10000):
        started = time.perf_counter()
        HDBSCAN(min_cluster_size=35, min_samples=3).fit_predict(vectors[:n])
        raw = time.perf_counter() - started
        started = time.perf_counter()
        HDBSCAN(min_cluster_size=35, min_samples=3).fit_predict(PCAReducer().fit_transform(vectors[:n]))
        reducer.append({"segments": n, "hdbscan_384d_s": round(raw, 2),
                        "pca5_then_hdbscan_s": round(time.perf_counter() - started, 2)})
    return {"segments": len(segments), "seconds": seconds, "identical_runs": first.to_json() == second.to_json(),
            "n_themes": first.summary_["n_themes"], "outlier_share": first.summary_["outlier_share"],
            "hdbscan_with_and_without_pca": reducer}


def markdown(result: dict) -> list[str]:
    """The page's lines (without the machine's paragraph) for a result as ``discover.json`` holds it."""
    lines = ["# Theme discovery: recovering human codes, against BERTopic", ""]
    if result["max_segments"]:
        lines += [f"Every corpus larger than {result['max_segments']} segments was subsampled to that many "
                  f"(seed {result['seed']}, the same rows for every method).", ""]
    lines += ["| corpus | segments | codes | method | themes | NMI | AMI | ARI | outliers | minimal responses | "
              "stability | identical runs | run-to-run ARI | s / run |",
              "|---|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|"]
    for corpus in result["corpora"]:
        for method, row in corpus["methods"].items():
            stability = "" if row["stability_mean"] is None else f"{row['stability_mean']:.2f}"
            nmi = f"{row['nmi']:.3f}" + (f" ± {row['nmi_sd']:.3f}" if row.get("nmi_runs") and len(row["nmi_runs"]) > 2
                                         else "")
            lines.append(f"| {corpus['name']} | {corpus['segments']} | {corpus['codes']} | {method} | "
                         f"{row['n_themes']} | {nmi} | {row['ami']:.3f} | {row['ari']:.3f} | {row['outlier_share']:.1%} | "
                         f"{format(row['minimal_share'], '.1%') if row.get('minimal_share') else ''} | "
                         f"{stability} | {'yes' if row['identical_runs'] else 'no'} | {row['run_to_run_ari']:.3f} | "
                         f"{min(row['seconds']):.1f} |")
    speed = result["speed"]
    lines += ["", "**Goals** (issue 5):", ""]
    for corpus in result["corpora"]:
        ours = corpus["methods"]["theme_assist"]
        others = {m: r["nmi"] for m, r in corpus["methods"].items() if m.startswith("bertopic")}
        beaten = [m for m, nmi in others.items() if ours["nmi"] > nmi]
        verdict = "met" if len(beaten) == len(others) else "MISSED"
        lines.append(f"- {corpus['name']}: NMI {ours['nmi']:.3f} vs BERTopic "
                     f"{', '.join(f'{nmi:.3f}' for nmi in others.values())}: {verdict}; outliers "
                     f"{ours['outlier_share']:.1%} ({'met' if ours['outlier_share'] <= 0.10 else 'MISSED'}); "
                     f"identical runs: {'met' if ours['identical_runs'] else 'MISSED'}")
    if speed is not None:
        lines += [f"- {speed['segments']} segments in < 30 s after embedding: "
                  f"{'met' if max(speed['seconds']) < 30 else 'MISSED'} ({max(speed['seconds']):.1f} s)"]
        lines += ["", f"**Speed**: {speed['segments']} segments (AnnoMI + ESConv utterances), after embedding: "
                  f"{min(speed['seconds']):.1f} s and {max(speed['seconds']):.1f} s for two runs "
                  f"(goal < 30 s), {speed['n_themes']} themes, {speed['outlier_share']:.1%} unclustered, identical "
                  f"runs: {'yes' if speed['identical_runs'] else 'no'}.", "",
                  "HDBSCAN on the 384-d embeddings vs. after the PCA(5) reducer (min_cluster_size 35, min_samples 3):",
                  "", "| segments | HDBSCAN 384-d (s) | PCA(5) + HDBSCAN (s) |", "|---:|---:|---:|"]
        lines += [f"| {r['segments']} | {r['hdbscan_384d_s']:.2f} | {r['pca5_then_hdbscan_s']:.2f} |"
                  for r in speed["hdbscan_with_and_without_pca"]]
    lines += ["", f"BERTopic (defaults) is not seeded, so every run differs: its figures are the mean over "
              f"{result.get('bertopic_runs', 2)} runs (± the standard deviation of NMI), and the goal is judged "
              f"against that mean.", "",
              "NMI/AMI/ARI: the outlier topic (BERTopic -1, our `unclustered`) counts as one cluster, and so do "
              "theme_assist's minimal responses (backchannels, fillers, thanks: set aside by default, not "
              "clustered, and not themes; the row 'minimal responses kept' clusters them too, as theme_assist did "
              "before it set them aside). Stability: "
              "mean over themes of the best-match Jaccard across 10 resamples of 80 % (capped at 5,000 rows). "
              "theme_assist clusters the sentence embeddings with the mean-pooled hidden layers -2, -3 and -4 of the "
              "encoder beside them (its default; the row 'sentence embedding only' clusters the sentence embeddings "
              "alone). "
              "BERTopic is given the same sentence embeddings; its default embedding model is the same "
              "all-MiniLM-L6-v2."]
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpora", nargs="+", default=list(CORPORA), choices=CORPORA)
    parser.add_argument("--max-segments", type=int, default=None)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-bertopic", action="store_true")
    parser.add_argument("--bertopic-runs", type=int, default=5, help="Runs of unseeded BERTopic to average.")
    parser.add_argument("--no-speed", action="store_true")
    parser.add_argument("--markdown-only", action="store_true", help="Re-render discover.md from discover.json.")
    args = parser.parse_args()
    if args.markdown_only:
        render_results(RESULTS, "discover", markdown)
        return
    warnings.simplefilter("ignore")
    logging.disable(logging.WARNING)

    embedder = Embedder()
    corpora = []
    for name in args.corpora:
        segments = subsample(load_corpus(name), args.max_segments, args.seed)
        vectors, _ = embedder.encode_with_layers(segments["text"].tolist(), DEFAULT_HIDDEN_LAYERS, show_progress=True)
        methods = {"theme_assist": run_theme_assist(segments, vectors, embedder, args.seed),
                   "theme_assist (sentence embedding only)": run_theme_assist(segments, vectors, embedder, args.seed,
                                                                              hidden_layers=()),
                   "theme_assist (minimal responses kept)": run_theme_assist(segments, vectors, embedder, args.seed,
                                                                             keep_minimal=True)}
        for method in methods:
            print(name, method, methods[method], flush=True)
        if not args.no_bertopic:
            methods["bertopic (defaults)"] = run_bertopic(segments, vectors, args.seed, seeded=False,
                                                              n_runs=args.bertopic_runs)
            print(name, "bertopic (defaults)", methods["bertopic (defaults)"], flush=True)
            methods["bertopic (seeded, reduced)"] = run_bertopic(segments, vectors, args.seed, seeded=True,
                                                                     n_runs=2)
            print(name, "bertopic (seeded, reduced)", methods["bertopic (seeded, reduced)"], flush=True)
        corpora.append({"name": name, "segments": len(segments), "codes": int(segments["code"].nunique()),
                        "methods": methods})
    result = {"seed": args.seed, "max_segments": args.max_segments, "bertopic_runs": args.bertopic_runs,
              "corpora": corpora, "speed": None if args.no_speed else speed_case(args.seed)}
    write_results(RESULTS, "discover", result, markdown,
                  packages=() if args.no_bertopic else ("bertopic", "umap-learn", "hdbscan"))
    print(f"wrote {RESULTS / 'discover.json'} and .md")


if __name__ == "__main__":
    main()
