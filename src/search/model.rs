//! The fitted model's types: oblivious regression trees and the model that combines the
//! features (the first stage's parameters, the weights, the trees). The numbers are data
//! (`model.toml`, read by `fitted.rs`); the features are `rerank`'s.

use crate::search::rerank::NF;

/// Depth of the trees of the model.
pub const TREE_DEPTH: usize = 3;

/// An oblivious regression tree: every node at depth `d` asks the same question,
/// `feature[d] > threshold[d]`, and the answers, as bits, pick the leaf.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Tree {
    /// The feature asked about at each depth.
    pub features: [u8; TREE_DEPTH],
    /// The threshold at each depth.
    pub thresholds: [f32; TREE_DEPTH],
    /// The value of each leaf.
    pub leaves: [f32; 1 << TREE_DEPTH],
}

impl Tree {
    /// The tree's value for a feature vector.
    #[must_use]
    pub fn eval(&self, f: &[f32; NF]) -> f32 {
        let mut leaf = 0;
        for d in 0..TREE_DEPTH {
            leaf |= usize::from(f[usize::from(self.features[d])] > self.thresholds[d]) << d;
        }
        self.leaves[leaf]
    }
}

/// The scoring parameters: the first stage's, and the weights of the features.
#[derive(Clone, Debug, PartialEq)]
pub struct Model {
    /// BM25 saturation of repeated words.
    pub k1: f32,
    /// BM25 length normalization.
    pub b: f32,
    /// Weight of the article's text containing the question's words, in the first stage.
    pub article: f32,
    /// Weight of the article's title containing them, in the first stage.
    pub title: f32,
    /// How many first-stage candidates are scored again.
    pub depth: usize,
    /// Weights of the features.
    pub weights: [f32; NF],
    /// Trees added to the weighted sum (gradient boosting on top of the linear model).
    pub trees: Vec<Tree>,
}

/// The weighted sum of the features.
#[must_use]
pub fn combine(weights: &[f32; NF], f: &[f32; NF]) -> f32 {
    weights.iter().zip(f).map(|(w, x)| w * x).sum()
}

impl Model {
    /// The model's score for a feature vector: the weighted sum plus the trees. Only the
    /// order it gives means something.
    #[must_use]
    pub fn rank_score(&self, f: &[f32; NF]) -> f32 {
        combine(&self.weights, f) + self.trees.iter().map(|t| t.eval(f)).sum::<f32>()
    }
}
