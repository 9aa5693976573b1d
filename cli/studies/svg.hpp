// Plots as SVG files, written by lambdahat itself: lines, markers, error bars, bars,
// vertical markers, log axes, tick labels, a legend. Enough for the study figures,
// small enough to read.
#pragma once

#include <string>
#include <vector>

namespace lambdahat::cli {

struct Series {
  enum class Style { line, dashed, markers, line_markers, bars };
  std::string label;
  std::vector<double> x, y;
  std::vector<double> error;  // optional ± error bars
  Style style = Style::line_markers;
  std::string color;          // empty: the next colour of the palette
};

class Plot {
 public:
  Plot(std::string title, std::string x_label, std::string y_label);
  Plot& log_x(bool on = true);
  Plot& log_y(bool on = true);
  Plot& add(Series s);
  // A vertical line at x with a short label (transitions).
  Plot& mark_x(double x, std::string label = "");
  std::string svg(int width = 640, int height = 400) const;
  void save(const std::string& path, int width = 640, int height = 400) const;

 private:
  std::string title_, x_label_, y_label_;
  bool log_x_ = false, log_y_ = false;
  std::vector<Series> series_;
  std::vector<std::pair<double, std::string>> marks_;
};

// "Nice" tick positions covering [lo, hi] (about `count` of them).
std::vector<double> nice_ticks(double lo, double hi, int count = 6);

}  // namespace lambdahat::cli
