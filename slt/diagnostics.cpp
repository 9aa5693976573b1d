#include "slt/diagnostics.hpp"

#include <algorithm>
#include <cmath>
#include <complex>
#include <limits>
#include <numeric>

#include "tensor/error.hpp"

namespace lambdahat {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

double mean_of(const std::vector<double>& x) {
  return std::accumulate(x.begin(), x.end(), 0.0) / static_cast<double>(x.size());
}

// Sample variance (denominator n − 1).
double variance_of(const std::vector<double>& x) {
  const double m = mean_of(x);
  double s = 0;
  for (double v : x) s += (v - m) * (v - m);
  return s / static_cast<double>(x.size() - 1);
}

// Every chain cut to the shortest length.
Chains equal_lengths(const Chains& chains) {
  std::size_t n = std::numeric_limits<std::size_t>::max();
  for (const auto& c : chains) n = std::min(n, c.size());
  Chains out;
  for (const auto& c : chains) out.emplace_back(c.begin(), c.begin() + static_cast<std::ptrdiff_t>(n));
  return out;
}

std::vector<double> pooled(const Chains& chains) {
  std::vector<double> all;
  for (const auto& c : chains) all.insert(all.end(), c.begin(), c.end());
  return all;
}

// The p-quantile with linear interpolation between order statistics (type 7).
double quantile(std::vector<double> x, double p) {
  // the order statistics x_(lo) and x_(lo+1) by selection, not a full sort: the same
  // two values, in linear time
  const double h = (static_cast<double>(x.size()) - 1) * p;
  const auto lo = static_cast<std::size_t>(std::floor(h));
  const std::size_t hi = std::min(lo + 1, x.size() - 1);
  std::nth_element(x.begin(), x.begin() + static_cast<std::ptrdiff_t>(lo), x.end());
  const double below = x[lo];
  const double above = hi == lo ? below : *std::min_element(x.begin() + static_cast<std::ptrdiff_t>(hi), x.end());
  return below + (h - static_cast<double>(lo)) * (above - below);
}

Chains map_draws(const Chains& chains, const auto& f) {
  Chains out = chains;
  for (auto& c : out)
    for (double& v : c) v = f(v);
  return out;
}

// The twiddle factors e^(−2πik/len) of every stage of a radix-2 transform of length
// n, stage by stage (len = 2, 4, …, n; k < len/2), so that each stage reads them in
// order. Kept per thread for the last length used: the diagnostics transform many
// traces of one length.
struct Twiddles {
  std::size_t n = 0;
  std::vector<double> re, im;  // stage len starts at offset len/2 − 1
  void prepare(std::size_t length) {
    if (n == length) return;
    n = length;
    re.assign(n, 0);
    im.assign(n, 0);
    for (std::size_t len = 2; len <= n; len <<= 1)
      for (std::size_t k = 0; k < len / 2; ++k) {
        const double angle = -2 * M_PI * static_cast<double>(k) / static_cast<double>(len);
        re[len / 2 - 1 + k] = std::cos(angle);
        im[len / 2 - 1 + k] = std::sin(angle);
      }
  }
};

// In-place radix-2 fast Fourier transform of a power-of-two length (inverse: the
// conjugate transform, unscaled). The products are written out: std::complex's
// operator* checks for infinities and NaNs on every call, which doubled the cost.
void fft(std::vector<std::complex<double>>& a, bool inverse) {
  const std::size_t n = a.size();
  for (std::size_t i = 1, j = 0; i < n; ++i) {  // bit-reversal permutation
    std::size_t bit = n >> 1;
    for (; j & bit; bit >>= 1) j ^= bit;
    j ^= bit;
    if (i < j) std::swap(a[i], a[j]);
  }
  thread_local Twiddles twiddles;
  twiddles.prepare(n);
  const double sign = inverse ? -1 : 1;  // the inverse uses the conjugate factors
  double* d = reinterpret_cast<double*>(a.data());  // re, im interleaved (std::complex guarantees it)
  for (std::size_t len = 2; len <= n; len <<= 1) {
    const std::size_t half = len / 2;
    const double* w_re = twiddles.re.data() + half - 1;
    const double* w_im = twiddles.im.data() + half - 1;
    for (std::size_t start = 0; start < n; start += len)
      for (std::size_t k = 0; k < half; ++k) {
        const std::size_t i = 2 * (start + k), j = 2 * (start + k + half);
        const double wr = w_re[k], wi = sign * w_im[k];
        const double vr = d[j] * wr - d[j + 1] * wi, vi = d[j] * wi + d[j + 1] * wr;
        d[j] = d[i] - vr;
        d[j + 1] = d[i + 1] - vi;
        d[i] += vr;
        d[i + 1] += vi;
      }
  }
}

// Autocovariance of x at a lag, divided by n (the biased estimator, which keeps the
// sequence positive semi-definite), as a direct sum. Geyer's sequence usually stops
// after a few lags; a strongly correlated chain reaches far, and direct sums over
// every lag would cost O(n²) (minutes for 10⁵ draws), so past kDirectLags the ESS
// takes all lags at once from the power spectrum (autocovariances below).
constexpr std::size_t kDirectLags = 32;
class Autocovariance {
 public:
  explicit Autocovariance(const std::vector<double>& x) : x_(x), mean_(mean_of(x)) {}
  double at(std::size_t lag) const {
    double s = 0;
    for (std::size_t i = 0; i + lag < x_.size(); ++i) s += (x_[i] - mean_) * (x_[i + lag] - mean_);
    return s / static_cast<double>(x_.size());
  }
  double mean() const { return mean_; }

 private:
  const std::vector<double>& x_;
  double mean_;
};

// Every lag of every chain (equal lengths), two chains per transform.
std::vector<std::vector<double>> autocovariances(const Chains& chains) {
  std::vector<std::vector<double>> out(chains.size());
  std::size_t c = 0;
  for (; c + 1 < chains.size(); c += 2) autocovariance_pair(chains[c], chains[c + 1], out[c], out[c + 1]);
  if (c < chains.size()) out[c] = autocovariance(chains[c]);
  return out;
}

}  // namespace

std::vector<double> autocovariance(const std::vector<double>& x) {
  if (x.empty()) return {};
  const double mean = mean_of(x);
  std::size_t length = 1;
  while (length < 2 * x.size()) length <<= 1;
  thread_local std::vector<std::complex<double>> a;  // reused: a fresh megabyte per call cost page faults
  a.assign(length, 0.0);
  for (std::size_t i = 0; i < x.size(); ++i) a[i] = x[i] - mean;
  fft(a, false);
  for (auto& v : a) v = std::norm(v);
  fft(a, true);
  std::vector<double> out(x.size());
  const double scale = 1 / (static_cast<double>(length) * static_cast<double>(x.size()));
  for (std::size_t lag = 0; lag < out.size(); ++lag) out[lag] = a[lag].real() * scale;
  return out;
}

// The power-spectrum path of autocovariance(x) for two sequences of one length in a
// single pair of transforms: with z = x + i y, X_k = (Z_k + conj Z_{L−k}) / 2 and
// Y_k = (Z_k − conj Z_{L−k}) / 2i, and since both power spectra are real and even,
// |X|² + i |Y|² transforms back to acov_x + i acov_y. Half the work of two calls.
void autocovariance_pair(const std::vector<double>& x, const std::vector<double>& y, std::vector<double>& acov_x,
                         std::vector<double>& acov_y) {
  const std::size_t n = x.size();
  const double mx = mean_of(x), my = mean_of(y);
  std::size_t length = 1;
  while (length < 2 * n) length <<= 1;
  thread_local std::vector<std::complex<double>> z, p;
  z.assign(length, 0.0);
  p.resize(length);
  for (std::size_t i = 0; i < n; ++i) z[i] = {x[i] - mx, y[i] - my};
  fft(z, false);
  for (std::size_t k = 0; k < length; ++k) {
    const std::complex<double> mirror = std::conj(z[(length - k) & (length - 1)]);
    p[k] = {std::norm(z[k] + mirror) / 4, std::norm(z[k] - mirror) / 4};
  }
  fft(p, true);
  const double scale = 1 / (static_cast<double>(length) * static_cast<double>(n));
  acov_x.resize(n);
  acov_y.resize(n);
  for (std::size_t lag = 0; lag < n; ++lag) {
    acov_x[lag] = p[lag].real() * scale;
    acov_y[lag] = p[lag].imag() * scale;
  }
}

double inverse_normal_cdf(double p) {
  check(p > 0 && p < 1, "inverse_normal_cdf", "p must be in (0, 1), got ", p);
  if (p == 0.5) return 0;
  if (p > 0.5) return -inverse_normal_cdf(1 - p);
  // A starting point within 5e-4 (Abramowitz & Stegun 26.2.23), then Halley steps on
  // Φ(x) − p, with Φ(x) = erfc(−x/√2)/2 accurate in the lower tail.
  const double t = std::sqrt(-2 * std::log(p));
  double x = -(t - (2.515517 + 0.802853 * t + 0.010328 * t * t) / (1 + 1.432788 * t + 0.189269 * t * t + 0.001308 * t * t * t));
  for (int i = 0; i < 3; ++i) {
    const double e = 0.5 * std::erfc(-x / std::sqrt(2.0)) - p;
    const double u = e * std::sqrt(2 * M_PI) * std::exp(x * x / 2);  // e / φ(x)
    x -= u / (1 + x * u / 2);
  }
  return x;
}

Chains rank_normalize(const Chains& chains) {
  std::vector<std::pair<double, std::size_t>> order;  // (value, position in the pooled draws)
  for (const auto& c : chains)
    for (double v : c) order.emplace_back(v, order.size());
  std::sort(order.begin(), order.end());
  const double S = static_cast<double>(order.size());
  std::vector<double> z(order.size());
  for (std::size_t i = 0; i < order.size();) {
    std::size_t j = i;  // ties: i..j−1 share the average of ranks i+1..j
    while (j < order.size() && order[j].first == order[i].first) ++j;
    const double rank = (static_cast<double>(i + 1) + static_cast<double>(j)) / 2;
    const double normal = inverse_normal_cdf((rank - 0.375) / (S + 0.25));
    for (std::size_t k = i; k < j; ++k) z[order[k].second] = normal;
    i = j;
  }
  Chains out = chains;
  std::size_t at = 0;
  for (auto& c : out)
    for (double& v : c) v = z[at++];
  return out;
}

Chains split_chains(const Chains& chains) {
  Chains out;
  for (const auto& c : chains) {
    const std::size_t half = c.size() / 2;
    out.emplace_back(c.begin(), c.begin() + static_cast<std::ptrdiff_t>(half));
    out.emplace_back(c.end() - static_cast<std::ptrdiff_t>(half), c.end());
  }
  return out;
}

namespace {
// R̂ of chains as given (not split): sqrt(var⁺ / W).
double basic_rhat(const Chains& halves) {
  const std::size_t n = halves.front().size();
  if (n < 2) return kNaN;
  std::vector<double> means, variances;
  for (const auto& h : halves) {
    means.push_back(mean_of(h));
    variances.push_back(variance_of(h));
  }
  const double W = mean_of(variances);
  const double B_over_n = variance_of(means);
  if (W <= 0) return B_over_n <= 0 ? 1.0 : std::numeric_limits<double>::infinity();
  const double N = static_cast<double>(n);
  return std::sqrt(((N - 1) / N * W + B_over_n) / W);
}
}  // namespace

double split_rhat(const Chains& chains) {
  if (chains.empty()) return kNaN;
  return basic_rhat(split_chains(equal_lengths(chains)));
}

double effective_sample_size(const Chains& chains_in) {
  const Chains chains = equal_lengths(chains_in);
  const std::size_t M = chains.size(), N = M ? chains.front().size() : 0;
  const double S = static_cast<double>(M * N);
  if (N < 4) return S;
  std::vector<Autocovariance> acov;
  std::vector<double> means;
  for (const auto& c : chains) {
    acov.emplace_back(c);
    means.push_back(acov.back().mean());
  }
  std::vector<std::vector<double>> all;  // every lag of every chain, once a lag past kDirectLags is asked for
  const auto mean_acov = [&](std::size_t lag) {
    double s = 0;
    if (lag < kDirectLags) {
      for (const auto& a : acov) s += a.at(lag);
    } else {
      if (all.empty()) all = autocovariances(chains);
      for (const auto& a : all) s += a[lag];
    }
    return s / static_cast<double>(M);
  };
  const double Nd = static_cast<double>(N);
  const double W = mean_acov(0) * Nd / (Nd - 1);  // mean within-chain variance
  double var_plus = W * (Nd - 1) / Nd;
  if (M > 1) var_plus += variance_of(means);
  if (!(var_plus > 0)) return S;
  const auto rho = [&](std::size_t lag) { return 1 - (W - mean_acov(lag)) / var_plus; };

  // ρ̂_t in pairs (ρ̂_t+1 + ρ̂_t+2) while the pair sums stay positive (Geyer's initial
  // positive sequence), the last positive even term kept as a correction for the
  // truncation, then the pair sums made non-increasing (the initial monotone sequence).
  std::vector<double> r(N + 1, 0.0);
  r[0] = 1;
  double even = 1, odd = rho(1);
  r[1] = odd;
  std::size_t t = 1;
  while (t + 3 < N && even + odd > 0) {
    even = rho(t + 1);
    odd = rho(t + 2);
    if (even + odd >= 0) {
      r[t + 1] = even;
      r[t + 2] = odd;
    }
    t += 2;
  }
  // τ sums r[0 .. after − 1] twice and the correction r[after] once
  const std::size_t after = t - 1;
  if (even > 0) r[after] = even;
  for (std::size_t k = 1; k + 3 <= after; k += 2) {
    if (r[k + 1] + r[k + 2] > r[k - 1] + r[k]) r[k + 1] = r[k + 2] = (r[k - 1] + r[k]) / 2;
  }
  double sum = 0;
  for (std::size_t k = 0; k < after; ++k) sum += r[k];
  const double tau = std::max(-1 + 2 * sum + r[after], 1 / std::log10(S));
  return S / tau;
}

double effective_sample_size(const std::vector<double>& trace) { return effective_sample_size(Chains{trace}); }

namespace {
struct BulkTail {
  double bulk, tail;
};

// R̂_bulk and R̂_tail of equal-length chains of at least 4 draws, given their
// rank-normalized split chains (which the bulk-ESS uses too).
BulkTail bulk_and_tail_rhat(const Chains& chains, const Chains& rank_normalized_halves) {
  const double median = quantile(pooled(chains), 0.5);
  const Chains folded = map_draws(chains, [median](double v) { return std::abs(v - median); });
  return {basic_rhat(rank_normalized_halves), basic_rhat(rank_normalize(split_chains(folded)))};
}
}  // namespace

double rank_normalized_split_rhat(const Chains& chains) {
  const Chains equal = equal_lengths(chains);
  if (equal.empty() || equal.front().size() < 4) return kNaN;
  const BulkTail r = bulk_and_tail_rhat(equal, rank_normalize(split_chains(equal)));
  return std::max(r.bulk, r.tail);
}

double bulk_ess(const Chains& chains) { return effective_sample_size(rank_normalize(split_chains(equal_lengths(chains)))); }

double tail_ess(const Chains& chains) {
  const Chains equal = equal_lengths(chains);
  const std::vector<double> all = pooled(equal);
  if (all.empty()) return 0;
  const double q05 = quantile(all, 0.05), q95 = quantile(all, 0.95);
  const Chains low = map_draws(equal, [q05](double v) { return v <= q05 ? 1.0 : 0.0; });
  const Chains high = map_draws(equal, [q95](double v) { return v >= q95 ? 1.0 : 0.0; });
  return std::min(effective_sample_size(split_chains(low)), effective_sample_size(split_chains(high)));
}

TraceDiagnostics diagnose(const Chains& chains_in) {
  const Chains chains = equal_lengths(chains_in);
  TraceDiagnostics d;
  const std::vector<double> all = pooled(chains);
  if (all.empty()) {
    d.rhat = d.rhat_bulk = d.rhat_tail = d.mean = d.sd = d.mcse = kNaN;
    return d;
  }
  d.mean = mean_of(all);
  d.sd = all.size() > 1 ? std::sqrt(variance_of(all)) : 0;
  if (chains.front().size() < 4) {
    d.rhat = d.rhat_bulk = d.rhat_tail = kNaN;
    d.ess_bulk = d.ess_tail = static_cast<double>(all.size());
  } else {
    const Chains halves = rank_normalize(split_chains(chains));
    const BulkTail r = bulk_and_tail_rhat(chains, halves);
    d.rhat_bulk = r.bulk;
    d.rhat_tail = r.tail;
    d.rhat = std::max(d.rhat_bulk, d.rhat_tail);
    d.ess_bulk = effective_sample_size(halves);  // bulk_ess without normalizing twice
    d.ess_tail = tail_ess(chains);
  }
  d.mcse = d.sd / std::sqrt(d.ess_bulk);
  return d;
}

double mala_acceptance_probability(const std::vector<double>& w, const std::vector<double>& w_new,
                                   const std::vector<double>& grad, const std::vector<double>& grad_new,
                                   double potential, double potential_new, double epsilon) {
  check(w.size() == w_new.size() && w.size() == grad.size() && w.size() == grad_new.size(),
        "mala_acceptance_probability", "vectors of different lengths");
  check(epsilon > 0, "mala_acceptance_probability", "epsilon must be > 0, got ", epsilon);
  double forward = 0, backward = 0;
  for (std::size_t i = 0; i < w.size(); ++i) {
    const double f = w_new[i] - w[i] + epsilon / 2 * grad[i];
    const double b = w[i] - w_new[i] + epsilon / 2 * grad_new[i];
    forward += f * f;
    backward += b * b;
  }
  const double log_alpha = -potential_new + potential - backward / (2 * epsilon) + forward / (2 * epsilon);
  return log_alpha >= 0 ? 1.0 : std::exp(log_alpha);
}

}  // namespace lambdahat
