"""The local backend's recipes: real, small models that answer like Personalize's.

- popularity (aws-popularity-count): items ranked by the number of unique users who interacted with them.
- trending (aws-trending-now): items ranked by their growth in unique users, last window vs the window before.
- als (aws-user-personalization(-v2), aws-personalized-ranking(-v2)): Spark MLlib ALS on implicit feedback
  (interaction counts as confidence), blended with a content score — the share of the user's history in each item's
  category/brand values — so items of a user's favourite categories rise, and cold items can be explored.
- sims (aws-similar-items, aws-sims): item-to-item cosine over co-occurrence in users' histories; a cold item
  (fewer than `cold_item_interactions`) gets items sharing its metadata (aws-similar-items), an unknown one popular
  items.

Cold start, as Personalize documents it: an unknown user gets popular items; an unknown item's similar items are
popular items; a new item with few interactions reaches users through its metadata (exploration slots filled with the
cold items that best match the user's category/brand profile).

Every model scores the whole item space (the items of the training interactions and of the Items dataset) with
numpy; only ALS training uses Spark. Models are saved as one `model.npz` + `meta.json` and served without Spark.

- space.py: the item space every model scores — ids, popularity, creation times, categorical metadata;
- base.py: `Model` (scores, top k, related items, saving), `top_k` and `Exploration` (itemExplorationConfig);
- popular.py: the popular-items recipes, popularity count and trending now;
- sims.py: the related-items recipes, item-to-item co-occurrence with a metadata fallback;
- als.py: the user-personalization and personalized-ranking model: ALS factors, fold-in, content blend, exploration;
- als_fit.py: the Spark MLlib ALS fit behind it, memoised per process;
- loading.py: a saved model folder back to its model.
"""
