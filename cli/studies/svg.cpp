#include "svg.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <sstream>

#include "lambdahat.hpp"
#include "report.hpp"

namespace lambdahat::cli {
namespace {

const char* kPalette[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf"};

std::string escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string number(double v) {
  char buf[32];
  if (v == 0) return "0";
  const double a = std::abs(v);
  if (a >= 1e5 || a < 1e-3) std::snprintf(buf, sizeof buf, "%.0e", v);
  else if (a >= 100) std::snprintf(buf, sizeof buf, "%.0f", v);
  else std::snprintf(buf, sizeof buf, "%.3g", v);
  return buf;
}

}  // namespace

std::string tick_label(double t, double step) {
  // as many decimals as the step has, so that neighbours differ in print: with a
  // step of 0.2 the labels read −40.2, −40, −39.8
  if (std::abs(t) >= 1e5 || (t != 0 && std::abs(t) < 1e-3)) return number(t);
  const int decimals = std::max(0, static_cast<int>(-std::floor(std::log10(step) + 1e-9)));
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, t);
  std::string text = buf;
  if (text.find_first_not_of("-0.") == std::string::npos) return "0";
  if (text[0] == '-') text = "\u2212" + text.substr(1);
  return text;
}

std::vector<double> nice_ticks(double lo, double hi, int count) {
  if (!(hi > lo)) return {lo};
  const double raw = (hi - lo) / std::max(count - 1, 1);
  const double magnitude = std::pow(10, std::floor(std::log10(raw)));
  double step = magnitude;
  for (double m : {1.0, 2.0, 5.0, 10.0})
    if (m * magnitude >= raw) {
      step = m * magnitude;
      break;
    }
  std::vector<double> ticks;
  for (double t = std::ceil(lo / step) * step; t <= hi + 1e-9 * step; t += step) ticks.push_back(std::abs(t) < 1e-12 * step ? 0 : t);
  return ticks;
}

Plot::Plot(std::string title, std::string x_label, std::string y_label)
    : title_(std::move(title)), x_label_(std::move(x_label)), y_label_(std::move(y_label)) {}

Plot& Plot::log_x(bool on) {
  log_x_ = on;
  return *this;
}
Plot& Plot::log_y(bool on) {
  log_y_ = on;
  return *this;
}
Plot& Plot::add(Series s) {
  check(s.x.size() == s.y.size(), "plot", "series ", s.label, " has ", s.x.size(), " x and ", s.y.size(), " y values");
  check(s.error.empty() || s.error.size() == s.y.size(), "plot", "series ", s.label, " has the wrong number of errors");
  if (s.color.empty()) s.color = kPalette[series_.size() % (sizeof kPalette / sizeof kPalette[0])];
  series_.push_back(std::move(s));
  return *this;
}
Plot& Plot::mark_x(double x, std::string label) {
  marks_.emplace_back(x, std::move(label));
  return *this;
}

std::string Plot::svg(int width, int height) const {
  // data ranges (finite points only; log axes need positive values)
  auto tx = [&](double v) { return log_x_ ? std::log10(v) : v; };
  // the narrowest gap between neighbouring bars, on the drawn (transformed) axis
  auto bar_gap = [&](const Series& s, double lo, double hi) {
    double gap = std::numeric_limits<double>::infinity();
    for (std::size_t i = 1; i < s.x.size(); ++i) gap = std::min(gap, std::abs(tx(s.x[i]) - tx(s.x[i - 1])));
    return std::isfinite(gap) && gap > 0 ? gap : (hi > lo ? (hi - lo) / 10 : 1.0);
  };
  auto ty = [&](double v) { return log_y_ ? std::log10(v) : v; };
  auto usable_x = [&](double v) { return std::isfinite(v) && (!log_x_ || v > 0); };
  auto usable_y = [&](double v) { return std::isfinite(v) && (!log_y_ || v > 0); };
  double x0 = std::numeric_limits<double>::infinity(), x1 = -x0, y0 = x0, y1 = -x0;
  for (const auto& s : series_)
    for (std::size_t i = 0; i < s.x.size(); ++i) {
      if (!usable_x(s.x[i]) || !usable_y(s.y[i])) continue;
      x0 = std::min(x0, tx(s.x[i]));
      x1 = std::max(x1, tx(s.x[i]));
      const double e = s.error.empty() || !std::isfinite(s.error[i]) ? 0 : s.error[i];
      const double lo = s.y[i] - e, hi = s.y[i] + e;
      y0 = std::min(y0, usable_y(lo) ? ty(lo) : ty(s.y[i]));
      y1 = std::max(y1, ty(hi));
      if (s.style == Series::Style::bars && !log_y_) y0 = std::min(y0, 0.0);
    }
  // bars are drawn 0.8 of the narrowest gap wide, centred on x: half a gap of room
  // at either end keeps the outer bars inside the axes
  for (const auto& s : series_) {
    if (s.style != Series::Style::bars || !std::isfinite(x0)) continue;
    const double half = bar_gap(s, x0, x1) / 2;
    x0 -= half;
    x1 += half;
  }
  for (const auto& [x, label] : marks_)
    if (usable_x(x)) {
      x0 = std::min(x0, tx(x));
      x1 = std::max(x1, tx(x));
    }
  const bool empty = !std::isfinite(x0) || !std::isfinite(y0);
  if (empty) x0 = 0, x1 = 1, y0 = 0, y1 = 1;
  if (x1 == x0) x0 -= 0.5, x1 += 0.5;
  if (y1 == y0) y0 -= 0.5, y1 += 0.5;
  const double pad_y = 0.06 * (y1 - y0);
  y0 -= pad_y;
  y1 += pad_y;
  const double pad_x = 0.03 * (x1 - x0);
  x0 -= pad_x;
  x1 += pad_x;

  const double left = 70, right = 20, top = 40, bottom = 55;
  const double pw = width - left - right, ph = height - top - bottom;
  auto px = [&](double v) { return left + (tx(v) - x0) / (x1 - x0) * pw; };
  auto py = [&](double v) { return top + (1 - (ty(v) - y0) / (y1 - y0)) * ph; };

  std::ostringstream o;
  o.precision(5);
  o << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << width << "\" height=\"" << height
    << "\" viewBox=\"0 0 " << width << ' ' << height << "\" font-family=\"Helvetica, Arial, sans-serif\" font-size=\"12\">\n";
  o << "<!-- made by lambdahat " << kVersion << " -->\n";
  o << "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n";
  o << "<text x=\"" << width / 2 << "\" y=\"22\" text-anchor=\"middle\" font-size=\"15\" font-weight=\"bold\">"
    << escape(title_) << "</text>\n";
  // axes, grid and ticks
  o << "<rect x=\"" << left << "\" y=\"" << top << "\" width=\"" << pw << "\" height=\"" << ph
    << "\" fill=\"none\" stroke=\"#333\"/>\n";
  auto axis_ticks = [&](double lo, double hi, bool log_axis) {
    std::vector<std::pair<double, std::string>> ticks;  // transformed position, label
    if (log_axis) {
      for (double e = std::floor(lo); e <= std::ceil(hi); ++e)
        if (e >= lo && e <= hi) ticks.emplace_back(e, number(std::pow(10, e)));
      if (ticks.size() < 2)
        for (double t : nice_ticks(lo, hi)) ticks.emplace_back(t, number(std::pow(10, t)));
    } else {
      const std::vector<double> at = nice_ticks(lo, hi);
      const double step = at.size() > 1 ? at[1] - at[0] : 1;
      for (double t : at) ticks.emplace_back(t, tick_label(t, step));
    }
    return ticks;
  };
  for (const auto& [t, label] : axis_ticks(x0, x1, log_x_)) {
    const double x = left + (t - x0) / (x1 - x0) * pw;
    o << "<line x1=\"" << x << "\" y1=\"" << top << "\" x2=\"" << x << "\" y2=\"" << top + ph
      << "\" stroke=\"#eee\"/>\n<text x=\"" << x << "\" y=\"" << top + ph + 16 << "\" text-anchor=\"middle\">" << label
      << "</text>\n";
  }
  for (const auto& [t, label] : axis_ticks(y0, y1, log_y_)) {
    const double y = top + (1 - (t - y0) / (y1 - y0)) * ph;
    o << "<line x1=\"" << left << "\" y1=\"" << y << "\" x2=\"" << left + pw << "\" y2=\"" << y
      << "\" stroke=\"#eee\"/>\n<text x=\"" << left - 6 << "\" y=\"" << y + 4 << "\" text-anchor=\"end\">" << label
      << "</text>\n";
  }
  o << "<text x=\"" << left + pw / 2 << "\" y=\"" << height - 12 << "\" text-anchor=\"middle\">" << escape(x_label_)
    << "</text>\n";
  o << "<text transform=\"translate(16," << top + ph / 2 << ") rotate(-90)\" text-anchor=\"middle\">"
    << escape(y_label_) << "</text>\n";
  o << "<clipPath id=\"plot\"><rect x=\"" << left << "\" y=\"" << top << "\" width=\"" << pw << "\" height=\"" << ph
    << "\"/></clipPath>\n<g clip-path=\"url(#plot)\">\n";
  for (const auto& [x, label] : marks_) {
    if (!usable_x(x)) continue;
    o << "<line x1=\"" << px(x) << "\" y1=\"" << top << "\" x2=\"" << px(x) << "\" y2=\"" << top + ph
      << "\" stroke=\"#888\" stroke-dasharray=\"4,3\"/>\n";
    if (!label.empty())
      // at the foot of the line, clear of the legend in the top right corner
      o << "<text x=\"" << px(x) + 3 << "\" y=\"" << top + ph - 6 << "\" fill=\"#555\" font-size=\"10\">"
        << escape(label) << "</text>\n";
  }
  for (const auto& s : series_) {
    // bars
    if (s.style == Series::Style::bars) {
      const double bw = 0.8 * bar_gap(s, x0, x1) / (x1 - x0) * pw;
      for (std::size_t i = 0; i < s.x.size(); ++i) {
        if (!usable_x(s.x[i]) || !usable_y(s.y[i])) continue;
        const double y = py(s.y[i]), base = py(log_y_ ? std::pow(10, y0) : std::max(0.0, y0));
        o << "<rect x=\"" << px(s.x[i]) - bw / 2 << "\" y=\"" << std::min(y, base) << "\" width=\"" << bw
          << "\" height=\"" << std::abs(base - y) << "\" fill=\"" << s.color << "\" fill-opacity=\"0.7\"/>\n";
      }
      continue;
    }
    // error bars
    for (std::size_t i = 0; i < s.error.size(); ++i) {
      if (!usable_x(s.x[i]) || !usable_y(s.y[i]) || !std::isfinite(s.error[i])) continue;
      const double lo = s.y[i] - s.error[i], hi = s.y[i] + s.error[i];
      const double ylo = usable_y(lo) ? py(lo) : top + ph, yhi = py(hi), x = px(s.x[i]);
      o << "<line x1=\"" << x << "\" y1=\"" << ylo << "\" x2=\"" << x << "\" y2=\"" << yhi << "\" stroke=\"" << s.color
        << "\"/>\n<line x1=\"" << x - 4 << "\" y1=\"" << ylo << "\" x2=\"" << x + 4 << "\" y2=\"" << ylo
        << "\" stroke=\"" << s.color << "\"/>\n<line x1=\"" << x - 4 << "\" y1=\"" << yhi << "\" x2=\"" << x + 4
        << "\" y2=\"" << yhi << "\" stroke=\"" << s.color << "\"/>\n";
    }
    const bool line = s.style != Series::Style::markers;
    const bool markers = s.style == Series::Style::markers || s.style == Series::Style::line_markers;
    if (line) {
      o << "<polyline fill=\"none\" stroke=\"" << s.color << "\" stroke-width=\"1.8\""
        << (s.style == Series::Style::dashed ? " stroke-dasharray=\"6,4\"" : "") << " points=\"";
      for (std::size_t i = 0; i < s.x.size(); ++i)
        if (usable_x(s.x[i]) && usable_y(s.y[i])) o << px(s.x[i]) << ',' << py(s.y[i]) << ' ';
      o << "\"/>\n";
    }
    if (markers)
      for (std::size_t i = 0; i < s.x.size(); ++i)
        if (usable_x(s.x[i]) && usable_y(s.y[i]))
          o << "<circle cx=\"" << px(s.x[i]) << "\" cy=\"" << py(s.y[i]) << "\" r=\"3\" fill=\"" << s.color << "\"/>\n";
  }
  o << "</g>\n";
  if (empty)
    o << "<text x=\"" << left + pw / 2 << "\" y=\"" << top + ph / 2 << "\" text-anchor=\"middle\" fill=\"#888\" "
      << "font-size=\"14\">no data</text>\n";
  // legend, in the top right corner, as wide as its longest label (about 6.6 px
  // per character at 12 px; UTF-8 continuation bytes do not count)
  std::size_t longest = 0;
  for (const auto& s : series_) {
    std::size_t chars = 0;
    for (unsigned char c : s.label) chars += (c & 0xC0) != 0x80;
    longest = std::max(longest, chars);
  }
  const double legend_width = 32 + 6.6 * static_cast<double>(longest);
  double ly = top + 10;
  for (const auto& s : series_) {
    if (s.label.empty()) continue;
    const double lx = left + pw - legend_width;
    o << "<rect x=\"" << lx - 4 << "\" y=\"" << ly - 9 << "\" width=\"" << legend_width + 2
      << "\" height=\"16\" fill=\"white\" fill-opacity=\"0.8\"/>\n";
    if (s.style == Series::Style::bars)
      o << "<rect x=\"" << lx << "\" y=\"" << ly - 5 << "\" width=\"18\" height=\"8\" fill=\"" << s.color << "\"/>\n";
    if (s.style != Series::Style::bars && s.style != Series::Style::markers)
      o << "<line x1=\"" << lx << "\" y1=\"" << ly << "\" x2=\"" << lx + 18 << "\" y2=\"" << ly << "\" stroke=\""
        << s.color << "\" stroke-width=\"2\"" << (s.style == Series::Style::dashed ? " stroke-dasharray=\"6,4\"" : "")
        << "/>\n";
    if (s.style == Series::Style::markers || s.style == Series::Style::line_markers)
      o << "<circle cx=\"" << lx + 9 << "\" cy=\"" << ly << "\" r=\"3\" fill=\"" << s.color << "\"/>\n";
    o << "<text x=\"" << lx + 24 << "\" y=\"" << ly + 4 << "\">" << escape(s.label) << "</text>\n";
    ly += 17;
  }
  o << "</svg>\n";
  return o.str();
}

void Plot::save(const std::string& path, int width, int height) const { write_file_atomically(path, svg(width, height)); }

}  // namespace lambdahat::cli
